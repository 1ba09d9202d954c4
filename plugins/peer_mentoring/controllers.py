"""/api/v1/t/{tenant}/peer-mentoring — 404 throughout where the tenant has it switched off."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.pagination import DEFAULT_LIMIT, Page
from plugins.peer_mentoring.common import gate_out, match_out, mentor_out, session_out
from plugins.peer_mentoring.models import GateStatus, VettingStatus
from plugins.peer_mentoring.schemas import (
    GateAppointmentOut,
    GateAppointmentUpdate,
    MatchCreate,
    MatchEnd,
    MatchOut,
    MentorCreate,
    MentorOut,
    MentorUpdate,
    ScheduleItem,
    SessionCreate,
    SessionOut,
)
from plugins.peer_mentoring.services import PeerMentoringService

Cursor = Annotated[str | None, QueryParameter(max_length=500)]
From = Annotated[date | None, QueryParameter(name="from")]
To = Annotated[date | None, QueryParameter(name="to")]


async def provide_peer_mentoring_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> PeerMentoringService:
    return PeerMentoringService(db_session, access)


class PeerMentoringController(Controller):
    path = "/api/v1/t/{tenant:str}/peer-mentoring"
    tags = ["peer mentoring"]
    dependencies = {"service": Provide(provide_peer_mentoring_service)}

    @get("/mentors", summary="Mentors by name; filter by vetting status and active")
    async def list_mentors(
        self,
        service: NamedDependency[PeerMentoringService],
        vetting_status: FromQuery[VettingStatus | None] = None,
        active: FromQuery[bool | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[MentorOut]:
        return await service.list_mentors(
            vetting_status=vetting_status, active=active, limit=limit, cursor=cursor
        )

    @post("/mentors", summary="Add a mentor: a member of the partnership or a named volunteer")
    async def create_mentor(
        self, service: NamedDependency[PeerMentoringService], data: JSONBody[MentorCreate]
    ) -> MentorOut:
        return mentor_out(await service.create_mentor(data))

    @get("/mentors/{mentor_id:uuid}", summary="One mentor (audited)")
    async def get_mentor(
        self, service: NamedDependency[PeerMentoringService], mentor_id: FromPath[uuid.UUID]
    ) -> MentorOut:
        return mentor_out(await service.get_mentor(mentor_id))

    @patch("/mentors/{mentor_id:uuid}", summary="Change vetting, availability or active")
    async def update_mentor(
        self,
        service: NamedDependency[PeerMentoringService],
        mentor_id: FromPath[uuid.UUID],
        data: JSONBody[MentorUpdate],
    ) -> MentorOut:
        return mentor_out(await service.update_mentor(mentor_id, data))

    @post("/matches", summary="Match a cleared mentor with a person (one current match each)")
    async def create_match(
        self, service: NamedDependency[PeerMentoringService], data: JSONBody[MatchCreate]
    ) -> MatchOut:
        return match_out(await service.match(data))

    @post("/matches/{match_id:uuid}/end", status_code=HTTP_200_OK, summary="End a match")
    async def end_match(
        self,
        service: NamedDependency[PeerMentoringService],
        match_id: FromPath[uuid.UUID],
        data: JSONBody[MatchEnd],
    ) -> MatchOut:
        return match_out(await service.end_match(match_id, data))

    @get("/persons/{person_id:uuid}/matches", summary="A person's mentors, newest first")
    async def list_matches(
        self,
        service: NamedDependency[PeerMentoringService],
        person_id: FromPath[uuid.UUID],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[MatchOut]:
        return await service.list_matches(person_id, limit=limit, cursor=cursor)

    @post("/persons/{person_id:uuid}/sessions", summary="Plan or log a mentoring session")
    async def create_session(
        self,
        service: NamedDependency[PeerMentoringService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[SessionCreate],
    ) -> SessionOut:
        return session_out(await service.create_session(person_id, data))

    @get("/persons/{person_id:uuid}/sessions", summary="A person's sessions, newest first")
    async def list_sessions(
        self,
        service: NamedDependency[PeerMentoringService],
        person_id: FromPath[uuid.UUID],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[SessionOut]:
        return await service.list_sessions(person_id, limit=limit, cursor=cursor)

    @get(
        "/gate-appointments",
        summary="Gate appointments by time, from today for four weeks unless 'from'/'to' say",
    )
    async def list_gate_appointments(
        self,
        service: NamedDependency[PeerMentoringService],
        start: From = None,
        end: To = None,
        status: FromQuery[GateStatus | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[GateAppointmentOut]:
        return await service.list_gate_appointments(
            start=start, end=end, status=status, limit=limit, cursor=cursor
        )

    @patch(
        "/gate-appointments/{appointment_id:uuid}",
        summary="Record who meets the person at the gate, and whether they were met",
    )
    async def update_gate_appointment(
        self,
        service: NamedDependency[PeerMentoringService],
        appointment_id: FromPath[uuid.UUID],
        data: JSONBody[GateAppointmentUpdate],
    ) -> GateAppointmentOut:
        return gate_out(await service.update_gate_appointment(appointment_id, data))

    @get(
        "/schedule",
        summary="Upcoming gate appointments and planned sessions, soonest first; "
        "mine=true for the signed-in mentor's own",
    )
    async def schedule(
        self,
        service: NamedDependency[PeerMentoringService],
        start: From = None,
        end: To = None,
        mentor_id: FromQuery[uuid.UUID | None] = None,
        mine: FromQuery[bool] = False,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ScheduleItem]:
        return await service.schedule(
            start=start, end=end, mentor_id=mentor_id, mine=mine, limit=limit, cursor=cursor
        )
