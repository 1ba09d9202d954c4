"""/api/v1/t/{tenant}/outcome-reviews and /api/v1/t/{tenant}/persons/{id}/distance-travelled"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.outcomes.schemas import (
    DistanceTravelled,
    OutcomeReviewCreate,
    OutcomeReviewOut,
    OutcomeReviewUpdate,
)
from core.outcomes.services import OutcomeReviewService, review_out
from core.pagination import DEFAULT_LIMIT, Page


async def provide_outcome_review_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> OutcomeReviewService:
    return OutcomeReviewService(db_session, access)


class OutcomeReviewController(Controller):
    path = "/api/v1/t/{tenant:str}/outcome-reviews"
    tags = ["outcomes"]
    dependencies = {"service": Provide(provide_outcome_review_service)}

    @get("/", summary="Outcome reviews, most recent first; filter by person")
    async def list_outcome_reviews(
        self,
        service: NamedDependency[OutcomeReviewService],
        person_id: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[OutcomeReviewOut]:
        return await service.list(person_id=person_id, limit=limit, cursor=cursor)

    @post("/", summary="Record an outcome review: a score on each of the seven domains")
    async def create_outcome_review(
        self, service: NamedDependency[OutcomeReviewService], data: JSONBody[OutcomeReviewCreate]
    ) -> OutcomeReviewOut:
        return review_out(await service.create(data))

    @get("/{review_id:uuid}", summary="One outcome review (audited)")
    async def get_outcome_review(
        self, service: NamedDependency[OutcomeReviewService], review_id: FromPath[uuid.UUID]
    ) -> OutcomeReviewOut:
        return review_out(await service.get(review_id))

    @patch("/{review_id:uuid}", summary="Correct your organisation's own review's scores or notes")
    async def update_outcome_review(
        self,
        service: NamedDependency[OutcomeReviewService],
        review_id: FromPath[uuid.UUID],
        data: JSONBody[OutcomeReviewUpdate],
    ) -> OutcomeReviewOut:
        return review_out(await service.update(review_id, data))


class DistanceTravelledController(Controller):
    path = "/api/v1/t/{tenant:str}/persons/{person_id:uuid}/distance-travelled"
    tags = ["outcomes"]
    dependencies = {"service": Provide(provide_outcome_review_service)}

    @get("/", summary="Distance travelled: each domain's first and latest score, change, series")
    async def get_distance_travelled(
        self, service: NamedDependency[OutcomeReviewService], person_id: FromPath[uuid.UUID]
    ) -> DistanceTravelled:
        return await service.distance(person_id)


@hookimpl
def register_routes() -> list[Any]:
    return [OutcomeReviewController, DistanceTravelledController]
