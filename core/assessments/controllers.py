"""/api/v1/t/{tenant}/assessments"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessments.models import AssessmentKind
from core.assessments.schemas import AssessmentCreate, AssessmentOut, AssessmentUpdate
from core.assessments.services import AssessmentService, assessment_out
from core.authz.access import Access
from core.hookspecs import hookimpl
from core.pagination import DEFAULT_LIMIT, Page


async def provide_assessment_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> AssessmentService:
    return AssessmentService(db_session, access)


class AssessmentController(Controller):
    path = "/api/v1/t/{tenant:str}/assessments"
    tags = ["assessments"]
    dependencies = {"service": Provide(provide_assessment_service)}

    @get("/", summary="Assessments, newest first; filter by person, kind or referral")
    async def list_assessments(
        self,
        service: NamedDependency[AssessmentService],
        person_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[AssessmentKind | None] = None,
        referral_id: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[AssessmentOut]:
        return await service.list(
            person_id=person_id, kind=kind, referral_id=referral_id, limit=limit, cursor=cursor
        )

    @post("/", summary="Record a screening, comprehensive or risk assessment")
    async def create_assessment(
        self, service: NamedDependency[AssessmentService], data: JSONBody[AssessmentCreate]
    ) -> AssessmentOut:
        return assessment_out(await service.create(data))

    @get("/{assessment_id:uuid}", summary="One assessment (audited)")
    async def get_assessment(
        self, service: NamedDependency[AssessmentService], assessment_id: FromPath[uuid.UUID]
    ) -> AssessmentOut:
        return assessment_out(await service.get(assessment_id))

    @patch("/{assessment_id:uuid}", summary="Change an assessment's summary or risk levels")
    async def update_assessment(
        self,
        service: NamedDependency[AssessmentService],
        assessment_id: FromPath[uuid.UUID],
        data: JSONBody[AssessmentUpdate],
    ) -> AssessmentOut:
        return assessment_out(await service.update(assessment_id, data))


@hookimpl
def register_routes() -> list[Any]:
    return [AssessmentController]
