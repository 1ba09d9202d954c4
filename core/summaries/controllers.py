"""/api/v1/t/{tenant}/episodes/{id}/summary and the summary pages."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.summaries.pages import page_router
from core.summaries.schemas import EpisodeSummary, SendingOut, SummarySend
from core.summaries.services import SummaryService


async def provide_summary_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> SummaryService:
    return SummaryService(db_session, access)


class EpisodeSummaryController(Controller):
    path = "/api/v1/t/{tenant:str}/episodes/{episode_id:uuid}/summary"
    tags = ["onward referrals"]
    dependencies = {"service": Provide(provide_summary_service)}

    @get(
        "/",
        summary="The episode's summary for the Offender Manager: only what you may read and "
        "the person consented to share with the recipient (audited)",
    )
    async def get_episode_summary(
        self,
        service: NamedDependency[SummaryService],
        episode_id: FromPath[uuid.UUID],
        recipient_organisation_id: FromQuery[uuid.UUID | None] = None,
    ) -> EpisodeSummary:
        return await service.build(episode_id, recipient_organisation_id)

    @post("/sendings", summary="Record sending the summary you read (its hash must match)")
    async def send_episode_summary(
        self,
        service: NamedDependency[SummaryService],
        episode_id: FromPath[uuid.UUID],
        data: JSONBody[SummarySend],
    ) -> SendingOut:
        return await service.send(episode_id, data)


class PersonSummariesController(Controller):
    path = "/api/v1/t/{tenant:str}/persons/{person_id:uuid}/summary-sendings"
    tags = ["onward referrals"]
    dependencies = {"service": Provide(provide_summary_service)}

    @get("/", summary="Summaries sent about the person: to whom, when, which categories")
    async def list_summary_sendings(
        self, service: NamedDependency[SummaryService], person_id: FromPath[uuid.UUID]
    ) -> list[SendingOut]:
        return await service.sendings(person_id)


@hookimpl
def register_routes() -> list[Any]:
    return [EpisodeSummaryController, PersonSummariesController, page_router()]
