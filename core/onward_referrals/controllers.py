"""/api/v1/t/{tenant}/onward-referrals"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.hooktypes import PersonPanel
from core.onward_referrals.models import OnwardService, OnwardStatus
from core.onward_referrals.pages import onward_panel, page_router
from core.onward_referrals.schemas import (
    OnwardAppointment,
    OnwardReferralCreate,
    OnwardReferralOut,
    OnwardStatusChange,
)
from core.onward_referrals.services import OnwardReferralService
from core.pagination import DEFAULT_LIMIT, Page


async def provide_onward_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> OnwardReferralService:
    return OnwardReferralService(db_session, access)


class OnwardReferralController(Controller):
    path = "/api/v1/t/{tenant:str}/onward-referrals"
    tags = ["onward referrals"]
    dependencies = {"service": Provide(provide_onward_service)}

    @get("/", summary="Onward referrals you may see, newest first; by person, service, status")
    async def list_onward_referrals(
        self,
        service: NamedDependency[OnwardReferralService],
        person_id: FromQuery[uuid.UUID | None] = None,
        to: Annotated[OnwardService | None, QueryParameter(name="service")] = None,
        status: FromQuery[OnwardStatus | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[OnwardReferralOut]:
        return await service.list(
            person_id=person_id, service=to, status=status, limit=limit, cursor=cursor
        )

    @post("/", summary="Send an onward referral: psychology, community treatment, mutual aid")
    async def create_onward_referral(
        self, service: NamedDependency[OnwardReferralService], data: JSONBody[OnwardReferralCreate]
    ) -> OnwardReferralOut:
        return await service.create(data)

    @get("/{referral_id:uuid}", summary="One onward referral with its status history (audited)")
    async def get_onward_referral(
        self, service: NamedDependency[OnwardReferralService], referral_id: FromPath[uuid.UUID]
    ) -> OnwardReferralOut:
        return await service.get(referral_id)

    @post(
        "/{referral_id:uuid}/status",
        status_code=200,
        summary="Record what became of it: accepted, declined, attended, did not attend",
    )
    async def change_onward_status(
        self,
        service: NamedDependency[OnwardReferralService],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[OnwardStatusChange],
    ) -> OnwardReferralOut:
        return await service.change_status(referral_id, data)

    @post(
        "/{referral_id:uuid}/appointment",
        status_code=200,
        summary="Record the appointment the service gave (psychology, community treatment)",
    )
    async def set_onward_appointment(
        self,
        service: NamedDependency[OnwardReferralService],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[OnwardAppointment],
    ) -> OnwardReferralOut:
        return await service.set_appointment(referral_id, data)


@hookimpl
def register_routes() -> list[Any]:
    return [OnwardReferralController, page_router()]


@hookimpl
def register_person_panels() -> list[PersonPanel]:
    # Shown to anyone who may see the person; each referral only where its own
    # category (health, substance use, peer support, case notes) may be read.
    return [
        PersonPanel(
            name="onward_referrals",
            title="Onward referrals and summaries",
            category="identity",
            template="onward_referrals/panel.html",
            load=onward_panel,
            order=35,
        )
    ]
