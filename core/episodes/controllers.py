"""/api/v1/t/{tenant}/episodes"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.episodes.models import Phase
from core.episodes.schemas import EpisodeOut, EpisodeSummary, EpisodeUpdate, PhaseMove
from core.episodes.services import EpisodeService
from core.hookspecs import hookimpl
from core.pagination import DEFAULT_LIMIT, Page


async def provide_episode_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> EpisodeService:
    return EpisodeService(db_session, access)


class EpisodeController(Controller):
    path = "/api/v1/t/{tenant:str}/episodes"
    tags = ["episodes"]
    dependencies = {"service": Provide(provide_episode_service)}

    @get("/", summary="Episodes of support, newest first; filter by person, phase or key worker")
    async def list_episodes(
        self,
        service: NamedDependency[EpisodeService],
        person_id: FromQuery[uuid.UUID | None] = None,
        phase: FromQuery[Phase | None] = None,
        key_worker_id: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[EpisodeSummary]:
        return await service.list(
            person_id=person_id,
            phase=phase,
            key_worker_id=key_worker_id,
            limit=limit,
            cursor=cursor,
        )

    @get("/{episode_id:uuid}", summary="One episode with its phase history (audited)")
    async def get_episode(
        self, service: NamedDependency[EpisodeService], episode_id: FromPath[uuid.UUID]
    ) -> EpisodeOut:
        return await service.get(episode_id)

    @patch("/{episode_id:uuid}", summary="Set the key worker or the lead partner")
    async def update_episode(
        self,
        service: NamedDependency[EpisodeService],
        episode_id: FromPath[uuid.UUID],
        data: JSONBody[EpisodeUpdate],
    ) -> EpisodeOut:
        return await service.update(episode_id, data)

    @post(
        "/{episode_id:uuid}/phase",
        status_code=HTTP_200_OK,
        summary="Move the episode to another phase (only the moves the pathway allows)",
    )
    async def move_episode(
        self,
        service: NamedDependency[EpisodeService],
        episode_id: FromPath[uuid.UUID],
        data: JSONBody[PhaseMove],
    ) -> EpisodeOut:
        return await service.move(episode_id, data)


@hookimpl
def register_routes() -> list[Any]:
    return [EpisodeController]
