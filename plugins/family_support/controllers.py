"""/api/v1/t/{tenant}/family-support — 404 throughout where the tenant has it switched off."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.pagination import DEFAULT_LIMIT, Page
from plugins.family_support.common import DEFAULT_DUE_WEEKS, contact_out, session_out
from plugins.family_support.models import FamilyDayStatus
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
from plugins.family_support.services import FamilySupportService

Cursor = Annotated[str | None, QueryParameter(max_length=500)]


async def provide_family_support_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> FamilySupportService:
    return FamilySupportService(db_session, access)


class FamilySupportController(Controller):
    path = "/api/v1/t/{tenant:str}/family-support"
    tags = ["family support"]
    dependencies = {"service": Provide(provide_family_support_service)}

    @get("/persons/{person_id:uuid}/contacts", summary="A person's family contacts (audited)")
    async def list_contacts(
        self,
        service: NamedDependency[FamilySupportService],
        person_id: FromPath[uuid.UUID],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ContactOut]:
        return await service.list_contacts(person_id, limit=limit, cursor=cursor)

    @post(
        "/persons/{person_id:uuid}/contacts",
        summary="Record a family contact; refused without the person's active family consent",
    )
    async def create_contact(
        self,
        service: NamedDependency[FamilySupportService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[ContactCreate],
    ) -> ContactOut:
        return contact_out(await service.create_contact(person_id, data))

    @get("/contacts/{contact_id:uuid}", summary="One family contact (audited)")
    async def get_contact(
        self, service: NamedDependency[FamilySupportService], contact_id: FromPath[uuid.UUID]
    ) -> ContactOut:
        return contact_out(await service.get_contact(contact_id))

    @get("/persons/{person_id:uuid}/sessions", summary="Family support sessions, newest first")
    async def list_sessions(
        self,
        service: NamedDependency[FamilySupportService],
        person_id: FromPath[uuid.UUID],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[SessionOut]:
        return await service.list_sessions(person_id, limit=limit, cursor=cursor)

    @post("/persons/{person_id:uuid}/sessions", summary="Log a family support session")
    async def create_session(
        self,
        service: NamedDependency[FamilySupportService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[SessionCreate],
    ) -> SessionOut:
        return session_out(await service.create_session(person_id, data))

    @get(
        "/family-days",
        summary="Family days by date, from today unless 'from' is given; filter by status",
    )
    async def list_family_days(
        self,
        service: NamedDependency[FamilySupportService],
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        status: FromQuery[FamilyDayStatus | None] = None,
        person_id: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[FamilyDayOut]:
        return await service.list_family_days(
            start=start, end=end, status=status, person_id=person_id, limit=limit, cursor=cursor
        )

    @post("/family-days", summary="Plan a family day before the person's liberation date")
    async def plan_family_day(
        self, service: NamedDependency[FamilySupportService], data: JSONBody[FamilyDayCreate]
    ) -> FamilyDayOut:
        return await service.plan_family_day(data)

    @patch(
        "/family-days/{family_day_id:uuid}",
        summary="Move a planned family day, or mark it held or cancelled",
    )
    async def update_family_day(
        self,
        service: NamedDependency[FamilySupportService],
        family_day_id: FromPath[uuid.UUID],
        data: JSONBody[FamilyDayUpdate],
    ) -> FamilyDayOut:
        return await service.update_family_day(family_day_id, data)

    @get(
        "/family-days/due",
        summary="People in custody due for release within 'weeks' with no family day planned",
    )
    async def due_for_family_day(
        self,
        service: NamedDependency[FamilySupportService],
        weeks: FromQuery[int] = DEFAULT_DUE_WEEKS,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[DueForFamilyDay]:
        return await service.due_for_family_day(weeks=weeks, limit=limit, cursor=cursor)
