"""Reading and recording a person's return details, field by field within the protocol.

A field whose category the viewer may not read is null and named in ``withheld``; an
update that touches a field whose category the writer may not write is refused whole,
naming the category, so nothing is half-saved.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.access import Access
from core.errors import RuleViolation
from core.returns.models import RETURN_FIELD_CATEGORIES, ReturnDetails
from core.returns.schemas import ReturnDetailsOut, ReturnDetailsUpdate

FIELDS = tuple(RETURN_FIELD_CATEGORIES)
SUBSTANCES = ("problem_substance_1", "problem_substance_2", "problem_substance_3")


class ReturnDetailsService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def get(self, person_id: uuid.UUID) -> ReturnDetailsOut:
        person = await self.access.visible_person(person_id)
        readable = await self.access.readable_categories(person.id)
        row = await self._row(person.id)
        out = self._out(person.id, row, readable)
        record(
            self.session,
            self.actor,
            "read",
            "return_details",
            person_id=person.id,
            detail={"withheld": out.withheld},
        )
        await self.session.commit()
        return out

    async def update(self, person_id: uuid.UUID, data: ReturnDetailsUpdate) -> ReturnDetailsOut:
        person = await self.access.visible_person(person_id)
        changes: dict[str, Any] = {
            k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET
        }
        if not changes:
            raise RuleViolation("Nothing to change: name at least one field")
        for category in sorted({RETURN_FIELD_CATEGORIES[k] for k in changes}):
            await self.access.require(category, "write", person.id)
        row = await self._row(person.id, for_update=True)
        if row is None:
            row = ReturnDetails(tenant_id=self.actor.tenant_id, person_id=person.id)
            self.session.add(row)
        for name, value in changes.items():
            setattr(row, name, value)
        self._check(row)
        row.updated_by = self.actor.user_id
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "update",
            "return_details",
            row.id,
            person_id=person.id,
            detail={"fields": sorted(changes)},
        )
        readable = await self.access.readable_categories(person.id)
        out = self._out(person.id, row, readable)
        await self.session.commit()
        return out

    def _check(self, row: ReturnDetails) -> None:
        named = [getattr(row, s) for s in SUBSTANCES]
        given = [s for s in named if s is not None]
        if len(given) != len(set(given)):
            raise RuleViolation(
                "Each problem substance can be named once", field="problem_substance_2"
            )
        # Substance 2 without 1 would misorder the return: the first is the main problem.
        for index in (1, 2):
            if named[index] is not None and named[index - 1] is None:
                raise RuleViolation(
                    f"Name problem substance {index} before substance {index + 1}",
                    field=SUBSTANCES[index],
                )

    async def _row(self, person_id: uuid.UUID, *, for_update: bool = False) -> ReturnDetails | None:
        stmt = select(ReturnDetails).where(
            ReturnDetails.tenant_id == self.actor.tenant_id,
            ReturnDetails.person_id == person_id,
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    def _out(
        self, person_id: uuid.UUID, row: ReturnDetails | None, readable: set[str]
    ) -> ReturnDetailsOut:
        values: dict[str, Any] = {}
        withheld: list[str] = []
        for name in FIELDS:
            if RETURN_FIELD_CATEGORIES[name] in readable:
                values[name] = getattr(row, name) if row is not None else None
            else:
                values[name] = None
                withheld.append(name)
        return ReturnDetailsOut(
            person_id=person_id,
            updated_at=row.updated_at if row is not None else None,
            withheld=withheld,
            **values,
        )
