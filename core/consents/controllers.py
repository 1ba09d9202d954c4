"""/api/v1/t/{tenant}/persons/{person_id}/consents"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.consents.schemas import ConsentCreate, ConsentOut, ConsentWithdraw
from core.consents.services import ConsentService, consent_out
from core.db.base import utcnow
from core.hookspecs import hookimpl
from core.pagination import DEFAULT_LIMIT, Page


async def provide_consent_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> ConsentService:
    return ConsentService(db_session, access)


class ConsentController(Controller):
    path = "/api/v1/t/{tenant:str}/persons/{person_id:uuid}/consents"
    tags = ["consents"]
    dependencies = {"service": Provide(provide_consent_service)}

    @get("/", summary="A person's consents; active=true for those in force now")
    async def list_consents(
        self,
        service: NamedDependency[ConsentService],
        person_id: FromPath[uuid.UUID],
        active: FromQuery[bool | None] = None,
        category: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[ConsentOut]:
        return await service.list(
            person_id, active=active, category=category, limit=limit, cursor=cursor
        )

    @post("/", summary="Record a consent to share one category with a partner or a kind")
    async def create_consent(
        self,
        service: NamedDependency[ConsentService],
        state: State,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[ConsentCreate],
    ) -> ConsentOut:
        consent = await service.create(person_id, data, categories=state.sharing_categories)
        return consent_out(consent, utcnow())

    @get("/{consent_id:uuid}", summary="One consent (audited)")
    async def get_consent(
        self,
        service: NamedDependency[ConsentService],
        person_id: FromPath[uuid.UUID],
        consent_id: FromPath[uuid.UUID],
    ) -> ConsentOut:
        return consent_out(await service.get(person_id, consent_id), utcnow())

    @post(
        "/{consent_id:uuid}/withdraw",
        status_code=200,
        summary="Withdraw a consent; it stops counting at once",
    )
    async def withdraw_consent(
        self,
        service: NamedDependency[ConsentService],
        person_id: FromPath[uuid.UUID],
        consent_id: FromPath[uuid.UUID],
        data: JSONBody[ConsentWithdraw | None] = None,
    ) -> ConsentOut:
        return consent_out(await service.withdraw(person_id, consent_id, data), utcnow())


@hookimpl
def register_routes() -> list[Any]:
    return [ConsentController]
