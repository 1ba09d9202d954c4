"""/api/v1/t/{tenant}/protocol (the partnership lead) and /break-glass (any member)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.approvals import ApprovalService, widening_sentences
from core.authz.members import Names
from core.authz.schemas import (
    BreakGlassOut,
    BreakGlassRequest,
    BreakGlassReview,
    DiffOut,
    ExplainOut,
    MatrixOut,
    PreviewOut,
    ProtocolApprovalWaiting,
    ProtocolDraft,
    ProtocolPublish,
    ProtocolVersionOut,
)
from core.authz.services import BreakGlassService, ProtocolService
from core.authz.watcher import announce
from core.hookspecs import hookimpl


async def provide_protocol_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> ProtocolService:
    # Every protocol endpoint is the lead's: checked once, here, before the handler runs.
    await access.require_tenant("protocol", "manage")
    return ProtocolService(db_session, access)


async def provide_break_glass_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> BreakGlassService:
    return BreakGlassService(db_session, access)


class ProtocolController(Controller):
    path = "/api/v1/t/{tenant:str}/protocol"
    tags = ["sharing protocol"]
    dependencies = {"service": Provide(provide_protocol_service)}

    @get("/", summary="The live protocol")
    async def live(self, service: NamedDependency[ProtocolService]) -> ProtocolVersionOut:
        return await service.live()

    @get("/versions", summary="Every version, newest first (who, when, why)")
    async def versions(self, service: NamedDependency[ProtocolService]) -> list[ProtocolVersionOut]:
        return await service.versions()

    @get("/versions/{version:int}", summary="One version's rules")
    async def version(
        self, service: NamedDependency[ProtocolService], version: FromPath[int]
    ) -> ProtocolVersionOut:
        return await service.version(version)

    @get("/diff", summary="The rules added and removed between two versions")
    async def diff(
        self,
        service: NamedDependency[ProtocolService],
        from_version: FromQuery[int],
        to_version: FromQuery[int],
    ) -> DiffOut:
        return await service.diff(from_version, to_version)

    @get("/matrix", summary="Who can see what: each rule and how many users it reaches")
    async def matrix(self, service: NamedDependency[ProtocolService]) -> MatrixOut:
        return await service.matrix()

    @post("/preview", summary="The effect of a draft, counted: who gains or loses what")
    async def preview(
        self, service: NamedDependency[ProtocolService], data: JSONBody[ProtocolDraft]
    ) -> PreviewOut:
        return await service.preview(data.rules)

    @post(
        "/",
        summary="Publish a new version (takes effect in every process within a second); past "
        "the two-person threshold it waits for a second lead (202)",
        responses={
            202: ResponseSpec(
                ProtocolApprovalWaiting,
                description="Widens an organisation's reach past the partnership's threshold: "
                "saved for a second lead to approve on the protocol pages",
            )
        },
    )
    async def publish(
        self,
        service: NamedDependency[ProtocolService],
        data: JSONBody[ProtocolPublish],
        request: Request[Any, Any, Any],
    ) -> Response[ProtocolVersionOut | ProtocolApprovalWaiting]:
        # The same two-person rule as the pages: the API is no way around a second lead.
        impact = await service.impact(data.rules)
        if impact.needs_second_lead:
            names = await Names.load(service.session, service.actor.tenant_id)
            sentences = widening_sentences(impact, names)
            waiting = await ApprovalService(service).request(data.rules, data.reason, sentences)
            body = ProtocolApprovalWaiting(waiting.id, waiting.base_version, sentences)
            return Response(body, status_code=202)
        published = await service.publish(data.rules, data.reason)
        state = request.app.state
        state.policies.invalidate(service.actor.tenant_id, published.version)
        await announce(state.settings.redis.url, service.actor.tenant_id, published.version)
        return Response(published, status_code=201)

    @get("/explain", summary="Why a user can or cannot do an action on a person's category")
    async def explain(
        self,
        service: NamedDependency[ProtocolService],
        user_id: FromQuery[uuid.UUID],
        person_id: FromQuery[uuid.UUID],
        category: FromQuery[str],
        action: FromQuery[str] = "read",
    ) -> ExplainOut:
        return await service.explain_for(user_id, person_id, category, action)


class BreakGlassController(Controller):
    path = "/api/v1/t/{tenant:str}/break-glass"
    tags = ["sharing protocol"]
    dependencies = {"service": Provide(provide_break_glass_service)}

    @post("/", summary="Emergency access to a withheld category of one person (audited)")
    async def open(
        self, service: NamedDependency[BreakGlassService], data: JSONBody[BreakGlassRequest]
    ) -> BreakGlassOut:
        return await service.open(data)

    @get("/mine", summary="My break-glass grants")
    async def mine(self, service: NamedDependency[BreakGlassService]) -> list[BreakGlassOut]:
        return await service.mine()

    @get("/", summary="The review queue (partnership lead)")
    async def queue(
        self, service: NamedDependency[BreakGlassService], reviewed: FromQuery[bool] = False
    ) -> list[BreakGlassOut]:
        return await service.queue(reviewed=reviewed)

    @post("/{grant_id:uuid}/review", summary="Mark a break-glass grant reviewed")
    async def review(
        self,
        service: NamedDependency[BreakGlassService],
        grant_id: FromPath[uuid.UUID],
        data: JSONBody[BreakGlassReview],
    ) -> BreakGlassOut:
        return await service.review(grant_id, data.note)


@hookimpl
def register_routes() -> list[Any]:
    return [ProtocolController, BreakGlassController]
