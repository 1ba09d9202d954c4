"""What every part of harm reduction shares: its names, the overdose-risk window, the
rows' wire shapes, and the service's base (the plugin on, the person visible).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.clock import UK_TIME
from core.db.base import utcnow
from core.errors import RuleViolation
from core.persons.models import Person
from core.plugins import require_plugin
from core.referrals.models import Referral
from core.working_days import add_working_days
from plugins.harm_reduction.models import DrugTest, NaloxoneSupply, NaloxoneTraining
from plugins.harm_reduction.schemas import DrugTestOut, SupplyOut, TrainingOut

PLUGIN = "harm_reduction"


SUBSTANCE_USE = "substance_use"


HEALTH = "health"


CLOCK_SKEW = timedelta(minutes=5)


# "The first two weeks are essential. That is the time when they are most likely to have
# an overdose." (Leicester): the release day and the thirteen days after it.
OVERDOSE_RISK_DAYS = 14


# The appointment offered with an automatic referral, unless the tester names one.
DEFAULT_APPOINTMENT_TIME = time(10, 0)


def clean(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


def risk_window(liberation_date: date) -> date:
    """The last day of the overdose-risk window that starts on the liberation date."""
    return liberation_date + timedelta(days=OVERDOSE_RISK_DAYS - 1)


def at_overdose_risk(liberation_date: date | None, today: date) -> bool:
    return liberation_date is not None and liberation_date <= today <= risk_window(liberation_date)


def default_appointment(now: datetime, nation: str) -> datetime:
    """10:00 UK time on the next working day of the partnership's nation."""
    day = add_working_days(now.astimezone(UK_TIME).date(), 1, nation)
    return datetime.combine(day, DEFAULT_APPOINTMENT_TIME, tzinfo=UK_TIME).astimezone(UTC)


def drug_test_out(row: DrugTest, referral: Referral | None = None) -> DrugTestOut:
    return DrugTestOut(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        tested_at=row.tested_at,
        result=row.result,
        substances=list(row.substances or []),
        referral_id=row.referral_id,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
        offered_appointment_at=referral.offered_appointment_at if referral else None,
        referral_decision=referral.decision if referral else None,
    )


def training_out(row: NaloxoneTraining) -> TrainingOut:
    return TrainingOut(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        trained_at=row.trained_at,
        trainee=row.trainee,
        notes=row.notes,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def supply_out(row: NaloxoneSupply) -> SupplyOut:
    return SupplyOut(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        supplied_at=row.supplied_at,
        kit_type=row.kit_type,
        supply=row.supply,
        repeat_reason=row.repeat_reason,
        notes=row.notes,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def check_past(moment: datetime, person: Person, field: str, what: str) -> datetime:
    moment = moment.astimezone(UTC)
    if moment > utcnow() + CLOCK_SKEW:
        raise RuleViolation(f"{what} cannot be recorded in the future", field=field)
    if moment.date() < person.date_of_birth:
        raise RuleViolation(f"{what} is dated before the person's date of birth", field=field)
    return moment


class HarmReductionBase:
    """The plugin must be on; each part's methods read a person through ``_person``."""

    def __init__(self, session: AsyncSession, access: Access) -> None:
        require_plugin(access.actor, PLUGIN)
        self.session = session
        self.access = access
        self.actor = access.actor

    async def _person(self, person_id: uuid.UUID, category: str, action: str) -> Person:
        """The person (404 if they are not to be known of), then the protocol's say on
        ``category`` for them (403 naming the reason)."""
        person = await self.access.visible_person(person_id)
        await self.access.require(category, action, person.id)
        return person
