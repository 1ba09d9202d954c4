"""Peer mentoring's demo rows: mentors (the demo mentor user and named volunteers),
matches, sessions, and the gate appointments that follow the demo liberation dates."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from core.accounts.models import Membership, User
from core.authz.relations import assign, link_organisation
from core.clock import UK_TIME
from core.clock import now as clock_now
from core.clock import today as local_today
from core.hooktypes import DemoContext
from core.persons.models import Location, Person
from plugins.peer_mentoring.common import MENTOR_REASON
from plugins.peer_mentoring.gate import reconcile_gate_appointment
from plugins.peer_mentoring.models import (
    Mentor,
    MentoringSession,
    MentorMatch,
    SessionSetting,
    SessionStatus,
    VettingStatus,
)

# Volunteers without a sign-in; one still awaiting vetting and one lapsed, as in life.
VOLUNTEERS: tuple[tuple[str, str, bool], ...] = (
    ("Danny Volunteer", VettingStatus.CLEARED, True),
    ("Mags Volunteer", VettingStatus.CLEARED, True),
    ("Stevie Volunteer", VettingStatus.PENDING, True),
    ("Lou Volunteer", VettingStatus.LAPSED, False),
)
SHARE_MATCHED = 0.5  # of people in custody due out within twelve weeks


async def load_demo(ctx: DemoContext) -> None:
    rng = ctx.random
    today = local_today()
    users = (
        await ctx.session.execute(
            select(User, Membership)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == ctx.tenant_id, User.id.in_(list(ctx.users.values())))
        )
    ).all()
    mentors: list[Mentor] = []
    for user, membership in sorted(users, key=lambda row: row[0].username):
        if "peer_mentor" not in membership.roles:
            continue
        mentors.append(
            Mentor(
                tenant_id=ctx.tenant_id,
                user_id=user.id,
                name=user.display_name,
                organisation_id=membership.organisation_id,
                lived_experience=True,
                vetting_status=VettingStatus.CLEARED,
                vetted_on=today - timedelta(days=rng.randint(30, 300)),
                availability="Weekday mornings; liberation days",
            )
        )
    home = mentors[0].organisation_id if mentors else next(iter(ctx.organisations.values()))
    for name, status, lived in VOLUNTEERS:
        mentors.append(
            Mentor(
                tenant_id=ctx.tenant_id,
                name=name,
                organisation_id=home,
                lived_experience=lived,
                vetting_status=status,
                vetted_on=(
                    today - timedelta(days=rng.randint(30, 700))
                    if status != VettingStatus.PENDING
                    else None
                ),
                availability=rng.choice(["Tuesdays and Thursdays", "Weekends", "Any weekday"]),
            )
        )
    ctx.session.add_all(mentors)
    await ctx.session.flush()
    cleared = [m for m in mentors if m.vetting_status == VettingStatus.CLEARED]

    people = (
        await ctx.session.scalars(
            select(Person).where(
                Person.tenant_id == ctx.tenant_id,
                Person.id.in_(ctx.persons),
                Person.location == Location.IN_CUSTODY,
                Person.liberation_date >= today,
            )
        )
    ).all()
    now = clock_now()
    for person in sorted(people, key=lambda p: str(p.id)):
        due_soon = person.liberation_date is not None and (
            person.liberation_date <= today + timedelta(weeks=12)
        )
        if cleared and due_soon and rng.random() < SHARE_MATCHED:
            mentor = rng.choice(cleared)
            started = today - timedelta(days=rng.randint(7, 90))
            ctx.session.add(
                MentorMatch(
                    tenant_id=ctx.tenant_id,
                    person_id=person.id,
                    mentor_id=mentor.id,
                    started_on=started,
                )
            )
            # Rows made here bypass the service: the relations it would have made.
            await assign(ctx.session, ctx.tenant_id, person.id, mentor.user_id, MENTOR_REASON)
            await link_organisation(
                ctx.session, ctx.tenant_id, person.id, mentor.organisation_id, "peer mentor"
            )
            for _ in range(rng.randint(1, 3)):
                ctx.session.add(
                    MentoringSession(
                        tenant_id=ctx.tenant_id,
                        person_id=person.id,
                        mentor_id=mentor.id,
                        starts_at=now - timedelta(days=rng.randint(1, (today - started).days + 1)),
                        status=rng.choice([SessionStatus.HELD] * 4 + [SessionStatus.MISSED]),
                        setting=SessionSetting.PRISON,
                        duration_minutes=rng.choice([30, 45, 60]),
                    )
                )
            next_visit = today + timedelta(days=rng.randint(1, 14))
            ctx.session.add(
                MentoringSession(
                    tenant_id=ctx.tenant_id,
                    person_id=person.id,
                    mentor_id=mentor.id,
                    starts_at=datetime.combine(next_visit, time(14), tzinfo=UK_TIME).astimezone(
                        UTC
                    ),
                    status=SessionStatus.PLANNED,
                    setting=SessionSetting.PRISON,
                )
            )
            await ctx.session.flush()
        # The same reconciliation the job runs, so demo appointments obey the same rule.
        await reconcile_gate_appointment(
            ctx.session, ctx.tenant_id, person.id, today=today, audit_changes=False
        )
    await ctx.session.flush()
