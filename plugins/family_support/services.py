"""Family support's rules: contacts only under consent, sessions logged, family days
planned before release (Leicester: "involve the prisoner's immediate family in planning
and preparing for their release")."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from core.audit.services import record
from core.authz.access import Access
from core.clock import today as local_today
from core.consents.services import consent_for_recipient
from core.db.base import UTCDateTime, utcnow
from core.errors import RuleViolation, not_found
from core.pagination import Page, keyset, page_of
from core.persons.models import Location, Person
from core.plugins import require_plugin
from core.tenancy.models import Organisation
from plugins.family_support.models import FamilyContact, FamilyDay, FamilyDayStatus, FamilySession
from plugins.family_support.schemas import (
    ContactCreate,
    ContactOut,
    DueForFamilyDay,
    FamilyDayCreate,
    FamilyDayOut,
    FamilyDayUpdate,
    SessionCreate,
    SessionOut,
)

PLUGIN = "family_support"
CATEGORY = "family"
# A device clock a little ahead of the server's is not "the future".
CLOCK_SKEW = timedelta(minutes=5)
# How far ahead of a liberation date a family day is worth planning (the "due" list).
DEFAULT_DUE_WEEKS = 8
MAX_DUE_WEEKS = 52


def utc_cursor_time(value: str) -> BindParameter[datetime]:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time in cursor")
    return literal(parsed.astimezone(UTC), UTCDateTime())


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


class FamilySupportService:
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

    # ------------------------------------------------------------------ contacts

    async def create_contact(self, person_id: uuid.UUID, data: ContactCreate) -> FamilyContact:
        # Consent is this service's own rule, checked before the protocol's so that its
        # absence is named as such (422), not as a refusal of access (403).
        person = await self.access.visible_person(person_id)
        organisation = await self.session.get(
            Organisation, (self.actor.tenant_id, self.actor.organisation_id)
        )
        if organisation is None:  # a membership always names one of the tenant's partners
            raise not_found("Organisation")
        consent = await consent_for_recipient(
            self.session, self.actor.tenant_id, person.id, CATEGORY, organisation, utcnow()
        )
        if consent is None:
            raise RuleViolation(
                f"No active consent from the person to share family information with "
                f"{organisation.name}: record their consent (category '{CATEGORY}') first",
                field="person_id",
            )
        await self.access.require(CATEGORY, "write", person.id)
        contact = FamilyContact(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            name=" ".join(data.name.split()),
            relationship=data.relationship,
            phone=data.phone.strip() if data.phone else None,
            consent_id=consent.id,
            organisation_id=self.actor.organisation_id,
            recorded_by=self.actor.user_id,
        )
        self.session.add(contact)
        await self.session.flush()
        # The name and number stay out of the audit trail: it is read more widely.
        record(
            self.session,
            self.actor,
            "create",
            "family_contact",
            contact.id,
            person_id=person.id,
            detail={"relationship": contact.relationship, "consent_id": str(consent.id)},
        )
        await self.session.commit()
        return contact

    async def list_contacts(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[ContactOut]:
        person = await self._person(person_id, "read")
        stmt = select(FamilyContact).where(
            FamilyContact.tenant_id == self.actor.tenant_id, FamilyContact.person_id == person.id
        )
        stmt = keyset(
            stmt,
            [FamilyContact.created_at, FamilyContact.id],
            cursor,
            limit,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.created_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "family_contact",
            person_id=person.id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[contact_out(r) for r in rows], next_cursor=next_cursor)

    async def get_contact(self, contact_id: uuid.UUID) -> FamilyContact:
        contact = await self._contact(contact_id)
        await self._person(contact.person_id, "read")
        record(
            self.session,
            self.actor,
            "read",
            "family_contact",
            contact.id,
            person_id=contact.person_id,
        )
        await self.session.commit()
        return contact

    async def _contact(self, contact_id: uuid.UUID) -> FamilyContact:
        contact = await self.session.get(FamilyContact, (self.actor.tenant_id, contact_id))
        if contact is None:
            raise not_found("Family contact")
        return contact

    # ------------------------------------------------------------------ sessions

    async def create_session(self, person_id: uuid.UUID, data: SessionCreate) -> FamilySession:
        person = await self._person(person_id, "write")
        occurred_at = data.occurred_at.astimezone(UTC)
        if occurred_at > utcnow() + CLOCK_SKEW:
            raise RuleViolation("A session cannot be logged in the future", field="occurred_at")
        if occurred_at.date() < person.date_of_birth:
            raise RuleViolation(
                "The session is dated before the person's date of birth", field="occurred_at"
            )
        if data.contact_id is not None:
            contact = await self.session.get(FamilyContact, (self.actor.tenant_id, data.contact_id))
            if contact is None or contact.person_id != person.id:
                raise RuleViolation(
                    "The family contact is not one of this person's contacts", field="contact_id"
                )
        row = FamilySession(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            contact_id=data.contact_id,
            organisation_id=self.actor.organisation_id,
            kind=data.kind,
            occurred_at=occurred_at,
            duration_minutes=data.duration_minutes,
            notes=clean(data.notes),
            recorded_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "family_session",
            row.id,
            person_id=person.id,
            detail={"kind": row.kind},
        )
        await self.session.commit()
        return row

    async def list_sessions(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[SessionOut]:
        person = await self._person(person_id, "read")
        stmt = select(FamilySession).where(
            FamilySession.tenant_id == self.actor.tenant_id, FamilySession.person_id == person.id
        )
        stmt = keyset(
            stmt,
            [FamilySession.occurred_at, FamilySession.id],
            cursor,
            limit,
            descending=True,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.occurred_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "family_session",
            person_id=person.id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[session_out(r) for r in rows], next_cursor=next_cursor)

    # ------------------------------------------------------------------ family days

    async def plan_family_day(
        self, data: FamilyDayCreate, today: date | None = None
    ) -> FamilyDayOut:
        person = await self._person(data.person_id, "write")
        check_planned_on(data.planned_on, person, today or local_today())
        row = FamilyDay(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            organisation_id=self.actor.organisation_id,
            planned_on=data.planned_on,
            location=clean(data.location),
            status=FamilyDayStatus.PLANNED,
            notes=clean(data.notes),
            planned_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "family_day",
            row.id,
            person_id=person.id,
            detail={"planned_on": row.planned_on.isoformat()},
        )
        await self.session.commit()
        return family_day_out(row, person.liberation_date)

    async def update_family_day(
        self, family_day_id: uuid.UUID, data: FamilyDayUpdate, today: date | None = None
    ) -> FamilyDayOut:
        row = await self.session.get(
            FamilyDay, (self.actor.tenant_id, family_day_id), with_for_update=True
        )
        if row is None:
            raise not_found("Family day")
        person = await self._person(row.person_id, "write")
        changes: dict[str, Any] = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if row.status != FamilyDayStatus.PLANNED and changes:
            raise RuleViolation(
                f"This family day is already {row.status}; plan a new one instead", field="status"
            )
        if "planned_on" in changes:
            check_planned_on(changes["planned_on"], person, today or local_today())
        for name in ("location", "notes"):
            if name in changes:
                changes[name] = clean(changes[name])
        for name, value in changes.items():
            setattr(row, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "family_day",
            row.id,
            person_id=row.person_id,
            detail={"fields": sorted(changes), "status": row.status},
        )
        await self.session.commit()
        return family_day_out(row, person.liberation_date)

    async def list_family_days(
        self,
        *,
        start: date | None,
        end: date | None,
        status: FamilyDayStatus | None,
        person_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
        today: date | None = None,
    ) -> Page[FamilyDayOut]:
        """Upcoming family days by date: from today unless ``start`` says otherwise."""
        start = start or today or local_today()
        if end is not None and end < start:
            raise ValidationException(
                detail="'to' must not be before 'from'",
                extra=[{"key": "to", "message": "must not be before 'from'"}],
            )
        stmt = (
            select(FamilyDay, Person.liberation_date)
            .join(
                Person,
                (Person.tenant_id == FamilyDay.tenant_id) & (Person.id == FamilyDay.person_id),
            )
            .where(
                FamilyDay.tenant_id == self.actor.tenant_id,
                FamilyDay.planned_on >= start,
                self.access.person_filter(CATEGORY, "read", FamilyDay.person_id),
            )
        )
        if end is not None:
            stmt = stmt.where(FamilyDay.planned_on <= end)
        if status is not None:
            stmt = stmt.where(FamilyDay.status == status)
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(FamilyDay.person_id == person_id)
        stmt = keyset(
            stmt,
            [FamilyDay.planned_on, FamilyDay.id],
            cursor,
            limit,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(
            rows, limit, lambda r: [r[0].planned_on.isoformat(), str(r[0].id)]
        )
        record(
            self.session,
            self.actor,
            "list",
            "family_day",
            person_id=person_id,
            detail={
                "from": start.isoformat(),
                "to": end.isoformat() if end else None,
                "status": status,
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(items=[family_day_out(r[0], r[1]) for r in rows], next_cursor=next_cursor)

    async def due_for_family_day(
        self, *, weeks: int, limit: int, cursor: str | None, today: date | None = None
    ) -> Page[DueForFamilyDay]:
        """People in custody due for release within ``weeks`` with no family day planned."""
        if not 1 <= weeks <= MAX_DUE_WEEKS:
            raise ValidationException(
                detail=f"weeks must be between 1 and {MAX_DUE_WEEKS}",
                extra=[{"key": "weeks", "message": f"must be between 1 and {MAX_DUE_WEEKS}"}],
            )
        today = today or local_today()
        planned = exists().where(
            FamilyDay.tenant_id == Person.tenant_id,
            FamilyDay.person_id == Person.id,
            FamilyDay.status != FamilyDayStatus.CANCELLED,
        )
        stmt = select(Person).where(
            Person.tenant_id == self.actor.tenant_id,
            Person.location == Location.IN_CUSTODY,
            Person.liberation_date >= today,
            Person.liberation_date <= today + timedelta(weeks=weeks),
            ~planned,
            self.access.person_filter(CATEGORY, "read", Person.id),
        )
        stmt = keyset(
            stmt,
            [Person.liberation_date, Person.id],
            cursor,
            limit,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(
            rows, limit, lambda p: [p.liberation_date.isoformat(), str(p.id)]
        )
        record(
            self.session,
            self.actor,
            "list",
            "family_day_due",
            detail={"weeks": weeks, "returned": len(rows)},
        )
        await self.session.commit()
        return Page(
            items=[
                DueForFamilyDay(
                    person_id=p.id,
                    given_name=p.given_name,
                    family_name=p.family_name,
                    prison_number=p.prison_number,
                    liberation_date=p.liberation_date,
                )
                for p in rows
                if p.liberation_date is not None
            ],
            next_cursor=next_cursor,
        )


async def person_panel(session: AsyncSession, access: Any, person_id: uuid.UUID) -> dict[str, Any]:
    """The person record's family panel: contacts and the next family day; an audited
    read. Core calls it only for a viewer who may read ``family``."""
    tenant_id = access.actor.tenant_id
    contacts = (
        await session.scalars(
            select(FamilyContact)
            .where(FamilyContact.tenant_id == tenant_id, FamilyContact.person_id == person_id)
            .order_by(FamilyContact.created_at, FamilyContact.id)
        )
    ).all()
    next_day = await session.scalar(
        select(FamilyDay)
        .where(
            FamilyDay.tenant_id == tenant_id,
            FamilyDay.person_id == person_id,
            FamilyDay.status == FamilyDayStatus.PLANNED,
        )
        .order_by(FamilyDay.planned_on, FamilyDay.id)
        .limit(1)
    )
    record(session, access.actor, "read", "family_panel", person_id=person_id)
    await session.commit()
    return {
        "contacts": [contact_out(c) for c in contacts],
        "next_family_day": next_day.planned_on if next_day else None,
    }
