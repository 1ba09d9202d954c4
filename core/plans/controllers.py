"""/api/v1/t/{tenant}/plans"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.pagination import DEFAULT_LIMIT, Page
from core.plans.models import PlanStatus
from core.plans.schemas import (
    ActionCreate,
    ActionUpdate,
    Handover,
    PlanActionOut,
    PlanCreate,
    PlanOut,
    PlanReviewOut,
    PlanSummary,
    PlanUpdate,
    ReviewCreate,
)
from core.plans.services import PlanService, action_out, review_out


async def provide_plan_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> PlanService:
    return PlanService(db_session, access)


class PlanController(Controller):
    path = "/api/v1/t/{tenant:str}/plans"
    tags = ["plans"]
    dependencies = {"service": Provide(provide_plan_service)}

    @get("/", summary="Recovery plans, newest first; filter by person, episode or status")
    async def list_plans(
        self,
        service: NamedDependency[PlanService],
        person_id: FromQuery[uuid.UUID | None] = None,
        episode_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[PlanStatus | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[PlanSummary]:
        return await service.list(
            person_id=person_id, episode_id=episode_id, status=status, limit=limit, cursor=cursor
        )

    @post("/", summary="Start an episode's recovery plan: goals and the contingency plan")
    async def create_plan(
        self, service: NamedDependency[PlanService], data: JSONBody[PlanCreate]
    ) -> PlanOut:
        return await service.create(data)

    @get("/{plan_id:uuid}", summary="One recovery plan with its actions and reviews (audited)")
    async def get_plan(
        self, service: NamedDependency[PlanService], plan_id: FromPath[uuid.UUID]
    ) -> PlanOut:
        return await service.get(plan_id)

    @patch("/{plan_id:uuid}", summary="Change the goals or parts of the contingency plan")
    async def update_plan(
        self,
        service: NamedDependency[PlanService],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[PlanUpdate],
    ) -> PlanOut:
        return await service.update(plan_id, data)

    @post("/{plan_id:uuid}/actions", summary="Add an action owned by a partner")
    async def add_action(
        self,
        service: NamedDependency[PlanService],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[ActionCreate],
    ) -> PlanActionOut:
        return action_out(await service.add_action(plan_id, data))

    @patch("/{plan_id:uuid}/actions/{action_id:uuid}", summary="Change or complete an action")
    async def update_action(
        self,
        service: NamedDependency[PlanService],
        plan_id: FromPath[uuid.UUID],
        action_id: FromPath[uuid.UUID],
        data: JSONBody[ActionUpdate],
    ) -> PlanActionOut:
        return action_out(await service.update_action(plan_id, action_id, data))

    @post("/{plan_id:uuid}/reviews", summary="Record a review of the plan")
    async def add_review(
        self,
        service: NamedDependency[PlanService],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewCreate],
    ) -> PlanReviewOut:
        return review_out(await service.add_review(plan_id, data))

    @post(
        "/{plan_id:uuid}/handover",
        status_code=200,
        summary="Hand the plan to a community provider; needs the person's consent",
    )
    async def handover_plan(
        self,
        service: NamedDependency[PlanService],
        plan_id: FromPath[uuid.UUID],
        data: JSONBody[Handover],
    ) -> PlanOut:
        return await service.handover(plan_id, data)


@hookimpl
def register_routes() -> list[Any]:
    return [PlanController]
