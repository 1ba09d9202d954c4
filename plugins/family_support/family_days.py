"""Family days planned before release, and who is due one (liberation within the weeks
asked, none planned yet).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import exists, select

from core.audit.services import record
from core.clock import today as local_today
from core.errors import RuleViolation, not_found
from core.pagination import Page, fetch_page
from core.persons.models import Location, Person
from plugins.family_support.common import (
    CATEGORY,
    MAX_DUE_WEEKS,
    FamilySupportBase,
    check_planned_on,
    clean,
    family_day_out,
)
from plugins.family_support.models import FamilyDay, FamilyDayStatus
from plugins.family_support.schemas import (
    DueForFamilyDay,
    FamilyDayCreate,
    FamilyDayOut,
    FamilyDayUpdate,
)


class FamilyDaysMixin(FamilySupportBase):
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
        rows, next_cursor = await fetch_page(
            self.session, stmt, [FamilyDay.planned_on, FamilyDay.id], cursor, limit, entity=0
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
        rows, next_cursor = await fetch_page(
            self.session, stmt, [Person.liberation_date, Person.id], cursor, limit
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
