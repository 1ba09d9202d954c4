"""/api/v1/t/{tenant}/treatment/… and /api/v1/t/{tenant}/persons/{id}/treatment"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.hooktypes import PersonPanel
from core.treatment.models import CATEGORY
from core.treatment.pages import page_router, treatment_panel
from core.treatment.schemas import (
    GoalOut,
    GoalSet,
    ModalityChange,
    ModalityChanged,
    ModalityEnd,
    ModalityOut,
    ModalityStart,
    TreatmentHistory,
)
from core.treatment.services import TreatmentService


async def provide_treatment_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> TreatmentService:
    return TreatmentService(db_session, access)


class TreatmentController(Controller):
    path = "/api/v1/t/{tenant:str}/treatment"
    tags = ["treatment"]
    dependencies = {"service": Provide(provide_treatment_service)}

    @post("/modalities", summary="Start a treatment modality within the person's open episode")
    async def start_modality(
        self, service: NamedDependency[TreatmentService], data: JSONBody[ModalityStart]
    ) -> ModalityOut:
        return await service.start(data)

    @post(
        "/modalities/{modality_id:uuid}/end",
        status_code=200,
        summary="End a treatment your organisation delivers, with its exit reason",
    )
    async def end_modality(
        self,
        service: NamedDependency[TreatmentService],
        modality_id: FromPath[uuid.UUID],
        data: JSONBody[ModalityEnd],
    ) -> ModalityOut:
        return await service.end(modality_id, data)

    @post(
        "/modalities/{modality_id:uuid}/change",
        summary="Move from one treatment to the next on one day (maintenance to reducing)",
    )
    async def change_modality(
        self,
        service: NamedDependency[TreatmentService],
        modality_id: FromPath[uuid.UUID],
        data: JSONBody[ModalityChange],
    ) -> ModalityChanged:
        return await service.change(modality_id, data)

    @post("/goals", summary="Record the person's treatment goal; a change is a new dated row")
    async def set_goal(
        self, service: NamedDependency[TreatmentService], data: JSONBody[GoalSet]
    ) -> GoalOut:
        return await service.set_goal(data)


class PersonTreatmentController(Controller):
    path = "/api/v1/t/{tenant:str}/persons/{person_id:uuid}/treatment"
    tags = ["treatment"]
    dependencies = {"service": Provide(provide_treatment_service)}

    @get("/", summary="The person's treatment history: goals and modalities (audited)")
    async def get_treatment(
        self, service: NamedDependency[TreatmentService], person_id: FromPath[uuid.UUID]
    ) -> TreatmentHistory:
        return await service.history(person_id)


@hookimpl
def register_routes() -> list[Any]:
    return [TreatmentController, PersonTreatmentController, page_router()]


@hookimpl
def register_person_panels() -> list[PersonPanel]:
    return [
        PersonPanel(
            name="treatment",
            title="Treatment",
            category=CATEGORY,
            template="treatment/panel.html",
            load=treatment_panel,
            order=30,
        )
    ]
