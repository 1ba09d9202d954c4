"""/api/v1/t/{tenant}/housing: the board, the local authorities, one person's record."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.pagination import DEFAULT_LIMIT, Page
from core.plugins import require_plugin
from plugins.housing.rules import DEFAULT_BOARD_WEEKS, PLUGIN
from plugins.housing.schemas import (
    AuthorityOut,
    BoardItem,
    HousingCreate,
    HousingOut,
    HousingUpdate,
    StepCreate,
)
from plugins.housing.services import HousingService


async def provide_housing_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> HousingService:
    # Every route needs the service, so a partnership without housing gets 404 everywhere.
    require_plugin(access.actor, PLUGIN)
    return HousingService(db_session, access)


class HousingController(Controller):
    path = "/api/v1/t/{tenant:str}/housing"
    tags = ["housing"]
    dependencies = {"service": Provide(provide_housing_service)}

    @get(
        "/board",
        summary="Everyone due for liberation in the next N weeks (default 12), soonest first, "
        "flagged red/amber/green; filter by local authority",
    )
    async def board(
        self,
        service: NamedDependency[HousingService],
        weeks: FromQuery[int] = DEFAULT_BOARD_WEEKS,
        local_authority_id: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[BoardItem]:
        return await service.board(
            weeks=weeks, local_authority_id=local_authority_id, limit=limit, cursor=cursor
        )

    @get("/authorities", summary="The partnership's local authorities and their housing rule")
    async def authorities(self, service: NamedDependency[HousingService]) -> list[AuthorityOut]:
        return await service.authorities()

    @get("/persons/{person_id:uuid}", summary="One person's housing record and steps (audited)")
    async def get_record(
        self, service: NamedDependency[HousingService], person_id: FromPath[uuid.UUID]
    ) -> HousingOut:
        return await service.get(person_id)

    @post("/persons/{person_id:uuid}", summary="Open a person's housing record")
    async def create_record(
        self,
        service: NamedDependency[HousingService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[HousingCreate],
    ) -> HousingOut:
        return await service.create(person_id, data)

    @patch(
        "/persons/{person_id:uuid}",
        summary="Change the local authority (before an application) or the housing needs",
    )
    async def update_record(
        self,
        service: NamedDependency[HousingService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[HousingUpdate],
    ) -> HousingOut:
        return await service.update(person_id, data)

    @post(
        "/persons/{person_id:uuid}/steps",
        status_code=HTTP_200_OK,
        summary="Move the registration along its pipeline, with the date and who acted",
    )
    async def add_step(
        self,
        service: NamedDependency[HousingService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[StepCreate],
    ) -> HousingOut:
        return await service.add_step(person_id, data)
