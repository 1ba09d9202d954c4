"""A partnership's own description for its members; the tenant list for the platform admin."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.actor import Actor, CurrentUser
from core.hookspecs import hookimpl
from core.tenancy.models import Organisation, Tenant


class OrganisationOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    is_lead: bool


class TenantOut(msgspec.Struct):
    slug: str
    name: str
    nation: str
    roles: list[str]
    plugins: list[str]
    sharing_categories: list[str]
    intervention_kinds: dict[str, str]
    organisations: list[OrganisationOut]


class TenantSummary(msgspec.Struct):
    slug: str
    name: str
    nation: str
    is_active: bool


async def _organisations(session: AsyncSession, tenant_id: uuid.UUID) -> list[OrganisationOut]:
    rows = await session.scalars(
        select(Organisation).where(Organisation.tenant_id == tenant_id).order_by(Organisation.name)
    )
    return [OrganisationOut(o.id, o.slug, o.name, o.kind, o.is_lead) for o in rows]


class TenantController(Controller):
    path = "/api/v1/t/{tenant:str}"
    tags = ["partnership"]

    @get("/", summary="The partnership: roles, plugins, categories, organisations")
    async def show(
        self, actor: NamedDependency[Actor], db_session: NamedDependency[AsyncSession], state: State
    ) -> TenantOut:
        tenant = await db_session.get(Tenant, actor.tenant_id)
        assert tenant is not None
        return TenantOut(
            slug=tenant.slug,
            name=tenant.name,
            nation=tenant.nation,
            roles=tenant.roles,
            plugins=tenant.plugins,
            sharing_categories=state.sharing_categories,
            intervention_kinds=state.intervention_kinds,
            organisations=await _organisations(db_session, tenant.id),
        )

    @get("/organisations", summary="The partner organisations")
    async def organisations(
        self, actor: NamedDependency[Actor], db_session: NamedDependency[AsyncSession]
    ) -> list[OrganisationOut]:
        return await _organisations(db_session, actor.tenant_id)


def platform_admin_only(
    connection: ASGIConnection[Any, CurrentUser, Any, Any], _: BaseRouteHandler
) -> None:
    if not connection.user.is_platform_admin:
        raise NotFoundException()


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["platform"]
    guards = [platform_admin_only]

    @get("/tenants", summary="Every partnership (platform admin only)")
    async def tenants(
        self, db_session: NamedDependency[AsyncSession], request: Request[Any, Any, Any]
    ) -> list[TenantSummary]:
        rows = await db_session.scalars(select(Tenant).order_by(Tenant.name))
        return [TenantSummary(t.slug, t.name, t.nation, t.is_active) for t in rows]


@hookimpl
def register_routes() -> list[Any]:
    return [TenantController, AdminController]
