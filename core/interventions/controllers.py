"""/api/v1/t/{tenant}/interventions and /api/v1/t/{tenant}/intervention-kinds"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.hookspecs import hookimpl
from core.interventions.models import Setting
from core.interventions.schemas import InterventionCreate, InterventionOut, InterventionUpdate
from core.interventions.services import InterventionService, intervention_out
from core.pagination import DEFAULT_LIMIT, Page


async def provide_intervention_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access], state: State
) -> InterventionService:
    return InterventionService(db_session, access, state.intervention_kinds)


class InterventionController(Controller):
    path = "/api/v1/t/{tenant:str}/interventions"
    tags = ["interventions"]
    dependencies = {"service": Provide(provide_intervention_service)}

    @get("/", summary="Interventions, newest first; filter by person, partner, kind, time")
    async def list_interventions(
        self,
        service: NamedDependency[InterventionService],
        person_id: FromQuery[uuid.UUID | None] = None,
        organisation_id: FromQuery[uuid.UUID | None] = None,
        kind: Annotated[str | None, QueryParameter(max_length=60)] = None,
        category: Annotated[str | None, QueryParameter(max_length=40)] = None,
        setting: FromQuery[Setting | None] = None,
        occurred_from: FromQuery[datetime | None] = None,
        occurred_to: FromQuery[datetime | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[InterventionOut]:
        return await service.list(
            person_id=person_id,
            organisation_id=organisation_id,
            kind=kind,
            category=category,
            setting=setting,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            limit=limit,
            cursor=cursor,
        )

    @post("/", summary="Log one of your organisation's interventions with a person")
    async def create_intervention(
        self, service: NamedDependency[InterventionService], data: JSONBody[InterventionCreate]
    ) -> InterventionOut:
        return intervention_out(await service.create(data))

    @get("/{intervention_id:uuid}", summary="One intervention (audited)")
    async def get_intervention(
        self, service: NamedDependency[InterventionService], intervention_id: FromPath[uuid.UUID]
    ) -> InterventionOut:
        return intervention_out(await service.get(intervention_id))

    @patch("/{intervention_id:uuid}", summary="Correct your organisation's own intervention")
    async def update_intervention(
        self,
        service: NamedDependency[InterventionService],
        intervention_id: FromPath[uuid.UUID],
        data: JSONBody[InterventionUpdate],
    ) -> InterventionOut:
        return intervention_out(await service.update(intervention_id, data))


class InterventionKindController(Controller):
    path = "/api/v1/t/{tenant:str}/intervention-kinds"
    tags = ["interventions"]

    @get("/", summary="The intervention kinds that can be logged, each with its sharing category")
    async def list_intervention_kinds(
        self, actor: NamedDependency[Actor], state: State
    ) -> dict[str, str]:
        # `actor` gates the route: non-members of the partnership get 404.
        kinds: dict[str, str] = state.intervention_kinds
        return dict(sorted(kinds.items()))


@hookimpl
def register_routes() -> list[Any]:
    return [InterventionController, InterventionKindController]
