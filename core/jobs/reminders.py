"""Core's reminder jobs: the dates that keep people from falling through the gaps.

Each job runs per tenant (see ``register_schedules``), reads the reminder clock
(:mod:`core.clock`) and turns what is due into tasks for the right users: the key worker of
the person's open episode, or the partnership's leads when the episode has none. A person
with no open episode is on nobody's caseload and gets no reminder.

Every reminder has a key naming what it is about and which occasion (a referral, a
liberation date and milestone, a consent and its expiry), so a job that runs twice, or every
hour, notifies each user once. Titles are generic; the link leads to the person, where
access is checked. The jobs catch up: a milestone passed while no job ran is still reminded,
once, at its latest applicable step.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.accounts.models import Membership
from core.consents.models import Consent
from core.episodes.models import Episode, Phase
from core.hookspecs import hookimpl
from core.hooktypes import Schedule
from core.notifications.resolve import close_settled
from core.notifications.services import notify
from core.outcomes.services import reviews_due
from core.persons.checklist import complete_checklists
from core.persons.models import Location, Person
from core.plans.models import RecoveryPlan
from core.plans.services import due_plan_actions
from core.plugins import get_plugin_manager
from core.referrals.models import Referral
from core.referrals.services import (
    has_initial_assessment,
    not_declined,
    overdue_assessments,
)
from core.tenancy.models import Tenant

LEAD_ROLE = "partnership_lead"

# Days before liberation at which the countdown reminds: 12 weeks, 4, 2, the day before, the day.
LIBERATION_MILESTONES: dict[int, str] = {
    84: "Liberation within 12 weeks",
    28: "Liberation within 4 weeks",
    14: "Liberation within 2 weeks",
    1: "Liberation tomorrow",
    0: "Liberation today",
}
# Days after liberation at which a check-in is due: the first two weeks carry the highest
# overdose risk (service specification; Low Moss PSP).
CHECK_IN_DAYS: tuple[int, ...] = (1, 3, 7, 14)
AFTER_RELEASE_DAYS = 14
CONSENT_EXPIRY_NOTICE = timedelta(days=14)


class Reminder(NamedTuple):
    person_id: uuid.UUID
    kind: str
    title: str
    key: str
    due_date: date | None


Collector = Callable[[AsyncSession, Tenant, date], Awaitable[list[Reminder]]]


def person_link(tenant_slug: str, person_id: uuid.UUID) -> str:
    return f"/t/{tenant_slug}/persons/{person_id}"


async def recipients(
    session: AsyncSession, tenant_id: uuid.UUID, person_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each person with an open episode: its key worker if they are an active member,
    else the tenant's active partnership leads. Persons without an open episode are absent."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    members = (
        await session.execute(
            select(Membership.user_id, Membership.roles).where(
                Membership.tenant_id == tenant_id, Membership.is_active.is_(True)
            )
        )
    ).all()
    active = {user_id for user_id, _ in members}
    # Roles are a JSON list: read them here rather than with per-dialect JSON SQL.
    leads = sorted((u for u, roles in members if LEAD_ROLE in (roles or [])), key=str)
    episodes = (
        await session.execute(
            select(Episode.person_id, Episode.key_worker_id)
            .where(
                Episode.tenant_id == tenant_id,
                Episode.person_id.in_(wanted),
                Episode.closed_at.is_(None),
                Episode.phase != Phase.CLOSED,
            )
            # The most recently opened open episode decides.
            .order_by(Episode.person_id, Episode.opened_at.desc())
        )
    ).all()
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    for person_id, key_worker_id in episodes:
        if person_id in out:
            continue
        out[person_id] = [key_worker_id] if key_worker_id in active else list(leads)
    return out


async def deliver(session: AsyncSession, tenant: Tenant, reminders: Sequence[Reminder]) -> int:
    """Notify the right users of each reminder; returns how many tasks were new."""
    who = await recipients(session, tenant.id, {r.person_id for r in reminders})
    created = 0
    for reminder in reminders:
        users = who.get(reminder.person_id)
        if not users:
            continue
        created += await notify(
            session,
            tenant.id,
            users,
            kind=reminder.kind,
            title=reminder.title,
            link=person_link(tenant.slug, reminder.person_id),
            key=reminder.key,
            due_date=reminder.due_date,
            person_id=reminder.person_id,
        )
    return created


async def run_reminders(ctx: dict[str, Any], tenant_id: str, collect: Collector) -> int:
    async with ctx["session_factory"]() as session:
        tenant = await session.get(Tenant, uuid.UUID(tenant_id))
        if tenant is None or not tenant.is_active:
            return 0
        created = await deliver(session, tenant, await collect(session, tenant, clock.today()))
        # The same run closes what was done meanwhile, so nobody's list asks for it again.
        await close_settled(session, tenant.id)
        await session.commit()
    return created


# --- what is due -------------------------------------------------------------------------


async def assessment_reminders(
    session: AsyncSession, tenant: Tenant, today: date
) -> list[Reminder]:
    """Due today, and overdue (the referrals service's own definition of overdue)."""
    due_today = (
        await session.scalars(
            select(Referral).where(
                Referral.tenant_id == tenant.id,
                Referral.assessment_due_on == today,
                not_declined(),
                not_(has_initial_assessment()),
            )
        )
    ).all()
    reminders = [
        Reminder(
            r.person_id,
            "assessment_due",
            "Initial assessment due today",
            f"assessment-due:{r.id}",
            r.assessment_due_on,
        )
        for r in due_today
    ]
    reminders += [
        Reminder(
            r.person_id,
            "assessment_overdue",
            "Initial assessment overdue",
            f"assessment-overdue:{r.id}",
            r.assessment_due_on,
        )
        for r in await overdue_assessments(session, tenant.id, today)
    ]
    return reminders


async def outcome_review_reminders(
    session: AsyncSession, tenant: Tenant, today: date
) -> list[Reminder]:
    """At least monthly in prison: one reminder per review that falls due."""
    return [
        Reminder(
            due.person_id,
            "outcome_review_due",
            "Outcome review due",
            f"outcome-review:{due.episode_id}:{due.last_reviewed_on or 'first'}",
            today,
        )
        for due in await reviews_due(session, tenant.id, today)
    ]


async def plan_action_reminders(
    session: AsyncSession, tenant: Tenant, today: date
) -> list[Reminder]:
    actions = await due_plan_actions(session, tenant.id, today)
    if not actions:
        return []
    rows = await session.execute(
        select(RecoveryPlan.id, RecoveryPlan.person_id).where(
            RecoveryPlan.tenant_id == tenant.id,
            RecoveryPlan.id.in_({a.plan_id for a in actions}),
        )
    )
    plan_person = {plan_id: person_id for plan_id, person_id in rows.all()}
    return [
        Reminder(
            plan_person[action.plan_id],
            "plan_action_due",
            "Recovery plan action overdue"
            if action.due_on and action.due_on < today
            else "Recovery plan action due",
            f"plan-action:{action.id}:{action.due_on}",
            action.due_on,
        )
        for action in actions
    ]


async def liberation_reminders(
    session: AsyncSession, tenant: Tenant, today: date
) -> list[Reminder]:
    """The countdown: the latest milestone reached for each liberation date in custody."""
    horizon = today + timedelta(days=max(LIBERATION_MILESTONES))
    persons = (
        await session.scalars(
            select(Person).where(
                Person.tenant_id == tenant.id,
                Person.location == Location.IN_CUSTODY,
                Person.liberation_date.is_not(None),
                and_(Person.liberation_date >= today, Person.liberation_date <= horizon),
            )
        )
    ).all()
    # Everything on the release checklist is in place: nothing to count down to.
    ready = await complete_checklists(session, get_plugin_manager(), tenant, persons)
    reminders = []
    for person_id, liberation_date in ((p.id, p.liberation_date) for p in persons):
        if person_id in ready:
            continue
        days_left = (liberation_date - today).days
        milestone = min(m for m in LIBERATION_MILESTONES if m >= days_left)
        reminders.append(
            Reminder(
                person_id,
                "liberation_countdown",
                LIBERATION_MILESTONES[milestone],
                f"liberation:{person_id}:{liberation_date}:{milestone}",
                liberation_date,
            )
        )
    return reminders


async def after_release_reminders(
    session: AsyncSession, tenant: Tenant, today: date
) -> list[Reminder]:
    """The first two weeks in the community: check-ins, and naloxone carried on release."""
    persons = (
        await session.execute(
            select(Person.id, Person.liberation_date).where(
                Person.tenant_id == tenant.id,
                Person.location == Location.IN_COMMUNITY,
                Person.liberation_date.is_not(None),
                and_(
                    Person.liberation_date >= today - timedelta(days=AFTER_RELEASE_DAYS),
                    Person.liberation_date <= today,
                ),
            )
        )
    ).all()
    reminders = []
    for person_id, liberation_date in persons:
        reminders.append(
            Reminder(
                person_id,
                "naloxone_on_release",
                "Naloxone on release: confirm supply",
                f"naloxone-on-release:{person_id}:{liberation_date}",
                liberation_date,
            )
        )
        days_since = (today - liberation_date).days
        reached = [d for d in CHECK_IN_DAYS if d <= days_since]
        if reached:
            day = reached[-1]
            reminders.append(
                Reminder(
                    person_id,
                    "release_check_in",
                    "Check-in after release due",
                    f"release-check-in:{person_id}:{liberation_date}:{day}",
                    liberation_date + timedelta(days=day),
                )
            )
    return reminders


async def consent_expiry_reminders(
    session: AsyncSession, tenant: Tenant, today: date
) -> list[Reminder]:
    now = clock.now()
    consents = (
        await session.execute(
            select(Consent.id, Consent.person_id, Consent.expires_at).where(
                Consent.tenant_id == tenant.id,
                Consent.withdrawn_at.is_(None),
                Consent.expires_at.is_not(None),
                Consent.expires_at > now,
                Consent.expires_at <= now + CONSENT_EXPIRY_NOTICE,
            )
        )
    ).all()
    return [
        Reminder(
            person_id,
            "consent_expiry",
            "Consent to share expires soon",
            f"consent-expiry:{consent_id}:{expires_at.isoformat()}",
            expires_at.astimezone(clock.UK_TIME).date(),
        )
        for consent_id, person_id, expires_at in consents
    ]


# --- the jobs ----------------------------------------------------------------------------


async def remind_assessments(ctx: dict[str, Any], tenant_id: str) -> int:
    return await run_reminders(ctx, tenant_id, assessment_reminders)


async def remind_outcome_reviews(ctx: dict[str, Any], tenant_id: str) -> int:
    return await run_reminders(ctx, tenant_id, outcome_review_reminders)


async def remind_plan_actions(ctx: dict[str, Any], tenant_id: str) -> int:
    return await run_reminders(ctx, tenant_id, plan_action_reminders)


async def remind_liberation(ctx: dict[str, Any], tenant_id: str) -> int:
    return await run_reminders(ctx, tenant_id, liberation_reminders)


async def remind_after_release(ctx: dict[str, Any], tenant_id: str) -> int:
    return await run_reminders(ctx, tenant_id, after_release_reminders)


async def remind_consent_expiry(ctx: dict[str, Any], tenant_id: str) -> int:
    return await run_reminders(ctx, tenant_id, consent_expiry_reminders)


REMINDER_JOBS = (
    remind_assessments,
    remind_outcome_reviews,
    remind_plan_actions,
    remind_liberation,
    remind_after_release,
    remind_consent_expiry,
)


@hookimpl
def register_jobs() -> list[Any]:
    return list(REMINDER_JOBS)


@hookimpl
def register_schedules() -> list[Schedule]:
    # Hourly, not daily: the keys make repeats free, and a moved demo clock shows within
    # the hour; minute 5 keeps clear of the platform's own jobs on the hour.
    return [Schedule(job=job.__name__, minute=5) for job in REMINDER_JOBS]
