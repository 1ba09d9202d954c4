"""/api/v1/t/{tenant}/harm-reduction — 404 throughout where the tenant has it switched off."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.pagination import DEFAULT_LIMIT, Page
from plugins.harm_reduction.common import supply_out, training_out
from plugins.harm_reduction.schemas import (
    AtRisk,
    DrugTestCreate,
    DrugTestOut,
    HarmReductionSummary,
    OfferDeclined,
    SupplyCreate,
    SupplyOut,
    TrainingCreate,
    TrainingOut,
)
from plugins.harm_reduction.services import HarmReductionService

Cursor = Annotated[str | None, QueryParameter(max_length=500)]


async def provide_harm_reduction_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> HarmReductionService:
    return HarmReductionService(db_session, access)


class HarmReductionController(Controller):
    path = "/api/v1/t/{tenant:str}/harm-reduction"
    tags = ["harm reduction"]
    dependencies = {"service": Provide(provide_harm_reduction_service)}

    @post(
        "/drug-tests",
        summary="Record a drug test; a positive result refers the person automatically, "
        "with an appointment offered",
    )
    async def record_drug_test(
        self, service: NamedDependency[HarmReductionService], data: JSONBody[DrugTestCreate]
    ) -> DrugTestOut:
        return await service.record_drug_test(data)

    @get("/drug-tests/{drug_test_id:uuid}", summary="One drug test (audited)")
    async def get_drug_test(
        self, service: NamedDependency[HarmReductionService], drug_test_id: FromPath[uuid.UUID]
    ) -> DrugTestOut:
        return await service.get_drug_test(drug_test_id)

    @post(
        "/drug-tests/{drug_test_id:uuid}/decline",
        status_code=HTTP_200_OK,
        summary="Record that the person declined the appointment offered (kept on the referral)",
    )
    async def decline_offer(
        self,
        service: NamedDependency[HarmReductionService],
        drug_test_id: FromPath[uuid.UUID],
        data: JSONBody[OfferDeclined],
    ) -> DrugTestOut:
        return await service.decline_offer(drug_test_id, data)

    @get("/persons/{person_id:uuid}/drug-tests", summary="A person's drug tests, newest first")
    async def list_drug_tests(
        self,
        service: NamedDependency[HarmReductionService],
        person_id: FromPath[uuid.UUID],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[DrugTestOut]:
        return await service.list_drug_tests(person_id, limit=limit, cursor=cursor)

    @post("/naloxone/trainings", summary="Record naloxone training (the person, family or carer)")
    async def record_training(
        self, service: NamedDependency[HarmReductionService], data: JSONBody[TrainingCreate]
    ) -> TrainingOut:
        return training_out(await service.record_training(data))

    @get("/persons/{person_id:uuid}/naloxone/trainings", summary="A person's naloxone training")
    async def list_trainings(
        self,
        service: NamedDependency[HarmReductionService],
        person_id: FromPath[uuid.UUID],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[TrainingOut]:
        return await service.list_trainings(person_id, limit=limit, cursor=cursor)

    @post(
        "/naloxone/supplies",
        summary="Record a naloxone kit supplied: kit type, first or repeat (with its reason)",
    )
    async def record_supply(
        self, service: NamedDependency[HarmReductionService], data: JSONBody[SupplyCreate]
    ) -> SupplyOut:
        return supply_out(await service.record_supply(data))

    @get("/persons/{person_id:uuid}/naloxone/supplies", summary="A person's naloxone kits")
    async def list_supplies(
        self,
        service: NamedDependency[HarmReductionService],
        person_id: FromPath[uuid.UUID],
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[SupplyOut]:
        return await service.list_supplies(person_id, limit=limit, cursor=cursor)

    @get(
        "/overdose-risk",
        summary="People released in the last fourteen days, when overdose risk is highest; "
        "without_naloxone=true for those with no kit",
    )
    async def overdose_risk(
        self,
        service: NamedDependency[HarmReductionService],
        without_naloxone: FromQuery[bool] = False,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AtRisk]:
        return await service.overdose_risk(
            without_naloxone=without_naloxone, limit=limit, cursor=cursor
        )

    @get(
        "/persons/{person_id:uuid}/summary",
        summary="A person's harm reduction: overdose-risk flag, naloxone, drug tests (audited)",
    )
    async def summary(
        self, service: NamedDependency[HarmReductionService], person_id: FromPath[uuid.UUID]
    ) -> HarmReductionSummary:
        return await service.summary(person_id)
