"""What every part of family support shares: its names, the rows' wire shapes, the
family-day date rule, and the service's base (the plugin on, the person visible).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.errors import RuleViolation
from core.persons.models import Person
from core.plugins import require_plugin
from plugins.family_support.models import FamilyContact, FamilyDay, FamilySession
from plugins.family_support.schemas import ContactOut, FamilyDayOut, SessionOut

PLUGIN = "family_support"


CATEGORY = "family"


# A device clock a little ahead of the server's is not "the future".
CLOCK_SKEW = timedelta(minutes=5)


# How far ahead of a liberation date a family day is worth planning (the "due" list).
DEFAULT_DUE_WEEKS = 8


MAX_DUE_WEEKS = 52


def contact_out(row: FamilyContact) -> ContactOut:
    return ContactOut(
        id=row.id,
        person_id=row.person_id,
        name=row.name,
        relationship=row.relationship,
        phone=row.phone,
        consent_id=row.consent_id,
        organisation_id=row.organisation_id,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def session_out(row: FamilySession) -> SessionOut:
    return SessionOut(
        id=row.id,
        person_id=row.person_id,
        contact_id=row.contact_id,
        organisation_id=row.organisation_id,
        kind=row.kind,
        occurred_at=row.occurred_at,
        duration_minutes=row.duration_minutes,
        notes=row.notes,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def family_day_out(row: FamilyDay, liberation_date: date | None) -> FamilyDayOut:
    return FamilyDayOut(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        planned_on=row.planned_on,
        location=row.location,
        status=row.status,
        notes=row.notes,
        planned_by=row.planned_by,
        liberation_date=liberation_date,
        created_at=row.created_at,
    )


def clean(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


def check_planned_on(planned_on: date, person: Person, today: date) -> None:
    """A family day prepares a release: it needs a liberation date and falls before it."""
    if person.liberation_date is None:
        raise RuleViolation(
            "A family day is planned for a release: record the person's liberation date first",
            field="planned_on",
        )
    if planned_on < today:
        raise RuleViolation("A family day cannot be planned in the past", field="planned_on")
    if planned_on > person.liberation_date:
        raise RuleViolation(
            f"A family day must fall on or before the liberation date "
            f"({person.liberation_date.isoformat()})",
            field="planned_on",
        )


class FamilySupportBase:
    """The plugin must be on; each part's methods read a person through ``_person``."""

    def __init__(self, session: AsyncSession, access: Access) -> None:
        require_plugin(access.actor, PLUGIN)
        self.session = session
        self.access = access
        self.actor = access.actor

    async def _person(self, person_id: uuid.UUID, action: str) -> Person:
        """The person (404 if they are not to be known of), then the protocol's say on
        ``family`` for them (403 naming the reason)."""
        person = await self.access.visible_person(person_id)
        await self.access.require(CATEGORY, action, person.id)
        return person
