"""/api/v1/t/{tenant}/meetings"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.meetings.models import MeetingKind
from core.meetings.schemas import (
    ActionCreate,
    ActionOut,
    ActionUpdate,
    Agenda,
    AttendeeCreate,
    AttendeeOut,
    Escalation,
    ItemCreate,
    ItemOut,
    ItemUpdate,
    MeetingCreate,
    MeetingOut,
    MeetingSummary,
)
from core.meetings.services import MeetingService, action_out, attendee_out, item_out
from core.pagination import DEFAULT_LIMIT, Page


async def provide_meeting_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> MeetingService:
    return MeetingService(db_session, access)


class MeetingController(Controller):
    path = "/api/v1/t/{tenant:str}/meetings"
    tags = ["meetings"]
    dependencies = {"service": Provide(provide_meeting_service)}

    @get("/", summary="Case meetings, most recent first; filter by date range and kind")
    async def list_meetings(
        self,
        service: NamedDependency[MeetingService],
        held_from: FromQuery[date | None] = None,
        held_to: FromQuery[date | None] = None,
        kind: FromQuery[MeetingKind | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[MeetingSummary]:
        return await service.list(
            held_from=held_from, held_to=held_to, kind=kind, limit=limit, cursor=cursor
        )

    @post("/", summary="Start a meeting: the daily persons-of-concern meeting or a complex case")
    async def create_meeting(
        self, service: NamedDependency[MeetingService], data: JSONBody[MeetingCreate]
    ) -> MeetingOut:
        return await service.create(data)

    @get("/agenda", summary="Suggested agenda: new referrals and open actions, with why")
    async def get_agenda(
        self,
        service: NamedDependency[MeetingService],
        date: FromQuery[date | None] = None,
    ) -> Agenda:
        return await service.agenda(date)

    @get("/{meeting_id:uuid}", summary="One meeting with attendees, items and actions (audited)")
    async def get_meeting(
        self, service: NamedDependency[MeetingService], meeting_id: FromPath[uuid.UUID]
    ) -> MeetingOut:
        return await service.get(meeting_id)

    @post("/{meeting_id:uuid}/close", status_code=HTTP_200_OK, summary="Close the meeting")
    async def close_meeting(
        self, service: NamedDependency[MeetingService], meeting_id: FromPath[uuid.UUID]
    ) -> MeetingOut:
        return await service.close(meeting_id)

    @post("/{meeting_id:uuid}/attendees", summary="Record an attendee and their organisation")
    async def add_attendee(
        self,
        service: NamedDependency[MeetingService],
        meeting_id: FromPath[uuid.UUID],
        data: JSONBody[AttendeeCreate],
    ) -> AttendeeOut:
        return attendee_out(await service.add_attendee(meeting_id, data))

    @post("/{meeting_id:uuid}/items", summary="Add a person discussed, with why and the outcome")
    async def add_item(
        self,
        service: NamedDependency[MeetingService],
        meeting_id: FromPath[uuid.UUID],
        data: JSONBody[ItemCreate],
    ) -> ItemOut:
        return item_out(await service.add_item(meeting_id, data))

    @patch("/{meeting_id:uuid}/items/{item_id:uuid}", summary="Record the discussion or outcome")
    async def update_item(
        self,
        service: NamedDependency[MeetingService],
        meeting_id: FromPath[uuid.UUID],
        item_id: FromPath[uuid.UUID],
        data: JSONBody[ItemUpdate],
    ) -> ItemOut:
        return item_out(await service.update_item(meeting_id, item_id, data))

    @post(
        "/{meeting_id:uuid}/items/{item_id:uuid}/escalate",
        summary="Escalate a complex case to a meeting of its own; says why (required)",
    )
    async def escalate_item(
        self,
        service: NamedDependency[MeetingService],
        meeting_id: FromPath[uuid.UUID],
        item_id: FromPath[uuid.UUID],
        data: JSONBody[Escalation | None] = None,
    ) -> MeetingOut:
        return await service.escalate(meeting_id, item_id, data)

    @post("/{meeting_id:uuid}/actions", summary="Agree an action: owning organisation, named owner")
    async def add_action(
        self,
        service: NamedDependency[MeetingService],
        meeting_id: FromPath[uuid.UUID],
        data: JSONBody[ActionCreate],
    ) -> ActionOut:
        return action_out(await service.add_action(meeting_id, data))

    @patch(
        "/{meeting_id:uuid}/actions/{action_id:uuid}",
        summary="Mark an action done, or change its due date or description",
    )
    async def update_action(
        self,
        service: NamedDependency[MeetingService],
        meeting_id: FromPath[uuid.UUID],
        action_id: FromPath[uuid.UUID],
        data: JSONBody[ActionUpdate],
    ) -> ActionOut:
        return action_out(await service.update_action(meeting_id, action_id, data))


@hookimpl
def register_routes() -> list[Any]:
    return [MeetingController]
