"""Family support's demo rows for the demo partnerships that switch it on."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.authz.relations import link_organisation
from core.clock import now as clock_now
from core.clock import today as local_today
from core.consents.models import Consent, LawfulBasis
from core.demo.names import GIVEN_NAMES
from core.hooktypes import DemoContext
from core.persons.models import Location, Person
from plugins.family_support.models import (
    FamilyContact,
    FamilyDay,
    FamilyDayStatus,
    FamilySession,
    Relationship,
    SessionKind,
)

# The family-work partner of each demo partnership, then its lead as a fallback.
FAMILY_ORGANISATIONS = ("families-outside", "turning-point", "turning-point-scotland")
FAMILY_USERS = ("lowmoss.families.worker", "leicester.worker", "lowmoss.tps.worker")
SHARE_OF_PEOPLE_WITH_FAMILY_WORK = 0.2
# Ofcom reserves 07700 900000-900999 for drama: no demo number can reach anyone.
DRAMA_NUMBER = "07700 900{:03d}"


async def load_demo(ctx: DemoContext) -> None:
    org_id = next(
        (ctx.organisations[s] for s in FAMILY_ORGANISATIONS if s in ctx.organisations),
        next(iter(ctx.organisations.values())),
    )
    user_id = next((ctx.users[u] for u in FAMILY_USERS if u in ctx.users), None)
    people = (
        await ctx.session.scalars(
            select(Person).where(Person.tenant_id == ctx.tenant_id, Person.id.in_(ctx.persons))
        )
    ).all()
    today = local_today()
    now = clock_now()
    rng = ctx.random
    for person in sorted(people, key=lambda p: str(p.id)):
        nearing_release = (
            person.location == Location.IN_CUSTODY
            and person.liberation_date is not None
            and today <= person.liberation_date <= today + timedelta(weeks=8)
        )
        if not nearing_release and rng.random() >= SHARE_OF_PEOPLE_WITH_FAMILY_WORK:
            continue
        given_at = now - timedelta(days=rng.randint(20, 200))
        consent = Consent(
            tenant_id=ctx.tenant_id,
            person_id=person.id,
            category="family",
            recipient_organisation_id=org_id,
            purpose="Family support and planning for release with the family",
            lawful_basis=LawfulBasis.CONSENT,
            given_at=given_at,
            recorded_by=user_id,
        )
        ctx.session.add(consent)
        await ctx.session.flush()
        # Rows made here bypass the services: the relation they would have made, made here.
        await link_organisation(ctx.session, ctx.tenant_id, person.id, org_id, "family support")
        contacts = []
        for _ in range(rng.randint(1, 2)):
            contact = FamilyContact(
                tenant_id=ctx.tenant_id,
                person_id=person.id,
                name=f"{rng.choice(GIVEN_NAMES)} {person.family_name}",
                relationship=rng.choice(list(Relationship)),
                phone=DRAMA_NUMBER.format(rng.randint(0, 999)) if rng.random() < 0.8 else None,
                consent_id=consent.id,
                organisation_id=org_id,
                recorded_by=user_id,
                created_at=given_at,
            )
            ctx.session.add(contact)
            contacts.append(contact)
        await ctx.session.flush()
        for _ in range(rng.randint(0, 4)):
            ctx.session.add(
                FamilySession(
                    tenant_id=ctx.tenant_id,
                    person_id=person.id,
                    contact_id=rng.choice(contacts).id,
                    organisation_id=org_id,
                    kind=rng.choice([k for k in SessionKind if k != SessionKind.FAMILY_DAY]),
                    occurred_at=given_at + (now - given_at) * rng.random(),
                    duration_minutes=rng.choice([20, 30, 45, 60]),
                    recorded_by=user_id,
                )
            )
        if nearing_release and person.liberation_date is not None and rng.random() < 0.6:
            days_before = rng.randint(3, 14)
            planned_on = max(today, person.liberation_date - timedelta(days=days_before))
            ctx.session.add(
                FamilyDay(
                    tenant_id=ctx.tenant_id,
                    person_id=person.id,
                    organisation_id=org_id,
                    planned_on=planned_on,
                    location="Visits hall",
                    status=FamilyDayStatus.PLANNED,
                    notes="Family day to plan the release together",
                    planned_by=user_id,
                )
            )
    await ctx.session.flush()
