"""/api/v1/t/{tenant}/referrals"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.pagination import DEFAULT_LIMIT, Page
from core.referrals.models import ReferralDecision, ReferralSource
from core.referrals.schemas import ReferralCreate, ReferralDecide, ReferralOut, ReferralUpdate
from core.referrals.services import ReferralService, referral_out


async def provide_referral_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> ReferralService:
    return ReferralService(db_session, access)


class ReferralController(Controller):
    path = "/api/v1/t/{tenant:str}/referrals"
    tags = ["referrals"]
    dependencies = {"service": Provide(provide_referral_service)}

    @get(
        "/",
        summary="Referrals, newest first; filter by person, episode, source, decision; "
        "overdue=true for those whose initial assessment is overdue",
    )
    async def list_referrals(
        self,
        service: NamedDependency[ReferralService],
        person_id: FromQuery[uuid.UUID | None] = None,
        episode_id: FromQuery[uuid.UUID | None] = None,
        source: FromQuery[ReferralSource | None] = None,
        decision: FromQuery[ReferralDecision | None] = None,
        overdue: FromQuery[bool | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[ReferralOut]:
        return await service.list(
            person_id=person_id,
            episode_id=episode_id,
            source=source,
            decision=decision,
            overdue=overdue,
            limit=limit,
            cursor=cursor,
        )

    @post("/", summary="Record a referral; it joins the open episode or opens a new one")
    async def create_referral(
        self, service: NamedDependency[ReferralService], data: JSONBody[ReferralCreate]
    ) -> ReferralOut:
        return referral_out(await service.create(data))

    @get("/{referral_id:uuid}", summary="One referral (audited)")
    async def get_referral(
        self, service: NamedDependency[ReferralService], referral_id: FromPath[uuid.UUID]
    ) -> ReferralOut:
        return referral_out(await service.get(referral_id))

    @patch(
        "/{referral_id:uuid}",
        summary="Change a referral's reason, referring partner or offered appointment",
    )
    async def update_referral(
        self,
        service: NamedDependency[ReferralService],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[ReferralUpdate],
    ) -> ReferralOut:
        return referral_out(await service.update(referral_id, data))

    @post(
        "/{referral_id:uuid}/decision",
        status_code=HTTP_200_OK,
        summary="Record the decision once: full support, brief intervention, or declined (kept)",
    )
    async def decide_referral(
        self,
        service: NamedDependency[ReferralService],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[ReferralDecide],
    ) -> ReferralOut:
        return referral_out(await service.decide(referral_id, data))


@hookimpl
def register_routes() -> list[Any]:
    return [ReferralController]
