"""Demo housing records for the demo partnerships that have housing on.

Everyone due out in the next sixteen weeks, or released in the last fortnight, gets a
record with a local authority (mostly the housing officer's own council), short needs,
and a history that follows the authority's rule: an on-liberation-day authority's people
are still ``not_started`` before the day.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from random import Random

from sqlalchemy import select

from core import clock
from core.accounts.models import Membership
from core.hooktypes import DemoContext
from core.persons.models import Person
from core.tenancy.models import Organisation
from plugins.housing.models import HousingRecord, HousingStep, RegistrationRule, Status
from plugins.housing.records import local_authorities
from plugins.housing.rules import PIPELINE, rule_of

AHEAD = timedelta(weeks=16)
BEHIND = timedelta(days=14)
NEEDS = (
    "Single person's tenancy near family in the north of the city.",
    "Ground-floor flat: mobility problems after a leg injury.",
    "Away from previous address: risk from associates there.",
    "Supported accommodation while on a methadone script.",
    "Was in a homeless hostel before custody; wants a settled tenancy.",
    "Tenancy lost during the sentence; rent arrears to be cleared.",
    "Returning to partner's tenancy: landlord's agreement needed.",
)


def _stage(random: Random, days_left: int) -> int:
    """How far along the pipeline (0-4) a before-liberation registration has got."""
    if days_left > 70:
        choices = (0, 0, 1)
    elif days_left > 42:
        choices = (0, 1, 1, 2)
    elif days_left > 14:
        choices = (1, 2, 2, 3)
    else:
        choices = (1, 2, 3, 4, 4)
    return random.choice(choices)


def _path(
    random: Random, rule: RegistrationRule, liberation: date, today: date
) -> list[tuple[Status, date]]:
    """The steps after not_started, each with its date, never after today."""
    days_left = (liberation - today).days
    if rule == RegistrationRule.ON_LIBERATION_DAY:
        if days_left > 0:
            return []
        steps = [(Status.APPLICATION_SUBMITTED, liberation)]
        more = random.choice((0, 1, 2))
        for n, status in enumerate(PIPELINE[2 : 2 + more], start=1):
            steps.append((status, min(today, liberation + timedelta(days=3 * n))))
        return steps
    if days_left < 0 and random.random() < 0.3:
        return [(Status.NO_FIXED_ABODE, liberation)]
    stage = _stage(random, max(days_left, 0))
    start = today - timedelta(days=10 * stage)
    return [(PIPELINE[n], start + timedelta(days=10 * n)) for n in range(1, stage + 1)]


async def load_housing_demo(ctx: DemoContext) -> None:
    session = ctx.session
    today = clock.today()
    authorities = await local_authorities(session, ctx.tenant_id)
    if not authorities:
        return
    officer_id = next((uid for name, uid in sorted(ctx.users.items()) if "housing" in name), None)
    officer_org: uuid.UUID | None = None
    if officer_id is not None:
        officer_org = await session.scalar(
            select(Membership.organisation_id).where(
                Membership.tenant_id == ctx.tenant_id, Membership.user_id == officer_id
            )
        )
    weights = [3 if a.id == officer_org else 1 for a in authorities]
    people = (
        await session.scalars(
            select(Person)
            .where(
                Person.tenant_id == ctx.tenant_id,
                Person.liberation_date >= today - BEHIND,
                Person.liberation_date <= today + AHEAD,
            )
            .order_by(Person.liberation_date, Person.id)
        )
    ).all()
    for person in people:
        assert person.liberation_date is not None
        authority: Organisation = ctx.random.choices(authorities, weights=weights)[0]
        path = _path(ctx.random, rule_of(authority), person.liberation_date, today)
        opened = min([today - timedelta(days=50), *(d for _, d in path)])
        housing = HousingRecord(
            id=uuid.uuid4(),
            tenant_id=ctx.tenant_id,
            person_id=person.id,
            local_authority_id=authority.id,
            needs=ctx.random.choice(NEEDS) if ctx.random.random() < 0.8 else None,
            status=path[-1][0] if path else Status.NOT_STARTED,
            status_on=path[-1][1] if path else opened,
            created_by=officer_id,
        )
        session.add(housing)
        previous: Status | None = None
        for status, on_date in [(Status.NOT_STARTED, opened), *path]:
            session.add(
                HousingStep(
                    tenant_id=ctx.tenant_id,
                    record_id=housing.id,
                    from_status=previous,
                    to_status=status,
                    on_date=on_date,
                    acted_by=officer_id,
                    organisation_id=officer_org,
                )
            )
            previous = status
    await session.flush()
