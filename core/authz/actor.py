"""The acting member of a tenant, resolved once per request from the URL's tenant slug.

This is the single gate in front of every tenant's case data: a user who is not an
active member of the tenant gets the same 404 as for a tenant that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import second_factor
from core.accounts.models import ApiToken, Membership
from core.authz.models import BreakGlassGrant
from core.db.base import utcnow
from core.errors import not_found
from core.tenancy.models import Organisation, Tenant


class CurrentUser(msgspec.Struct, frozen=True):
    """Who signed in; put on ``request.user`` by the authentication middleware."""

    id: uuid.UUID
    username: str
    display_name: str
    is_platform_admin: bool
    token_id: uuid.UUID | None = None  # set when the request came with a bearer token


class Actor(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    username: str
    display_name: str
    tenant_id: uuid.UUID
    tenant_slug: str
    nation: str
    membership_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_kind: str
    roles: tuple[str, ...]
    enabled_plugins: tuple[str, ...]
    # The tenant's live protocol version, read with the membership on every request.
    policy_version: int = 0
    # Whether the user holds a break-glass grant in force here, read with the membership:
    # when not, lists leave the break-glass probe out. True unless read, to fail open to
    # the probe (which still decides), never to skip it.
    break_glass: bool = True
    # The tenant file's second_factor setting (None: decided by the environment).
    second_factor_policy: str | None = None

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


async def resolve_actor(session: AsyncSession, user: CurrentUser, tenant_slug: str) -> Actor | None:
    glass = exists(
        select(BreakGlassGrant.id).where(
            BreakGlassGrant.tenant_id == Tenant.id,
            BreakGlassGrant.user_id == user.id,
            BreakGlassGrant.expires_at > utcnow(),
            BreakGlassGrant.ended_at.is_(None),
        )
    )
    row = (
        await session.execute(
            select(Tenant, Membership, Organisation, glass)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .join(
                Organisation,
                (Organisation.tenant_id == Membership.tenant_id)
                & (Organisation.id == Membership.organisation_id),
            )
            .where(
                Tenant.slug == tenant_slug,
                Tenant.is_active.is_(True),
                Membership.user_id == user.id,
                Membership.is_active.is_(True),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    tenant, membership, organisation, break_glass = row
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        nation=tenant.nation,
        membership_id=membership.id,
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        roles=tuple(membership.roles),
        enabled_plugins=tuple(tenant.plugins),
        policy_version=tenant.policy_version,
        break_glass=bool(break_glass),
        second_factor_policy=tenant.config.get("second_factor"),
    )


async def second_factor_passed(request: Request[Any, Any, Any], session: AsyncSession) -> bool:
    """A bearer token carries it from its issue; a session from its sign-in."""
    if request.auth == "token":
        token_id = request.user.token_id
        return bool(
            token_id
            and await session.scalar(select(ApiToken.second_factor).where(ApiToken.id == token_id))
        )
    return bool((request.scope.get("session") or {}).get(second_factor.PASSED))


async def provide_actor(
    tenant: FromPath[str],
    request: Request[CurrentUser, Any, Any],
    db_session: NamedDependency[AsyncSession],
) -> Actor:
    actor = await resolve_actor(db_session, request.user, tenant)
    if actor is None:
        raise not_found("Partnership")
    environment = request.app.state.settings.server.environment
    if second_factor.is_required(
        actor.second_factor_policy, environment
    ) and not await second_factor_passed(request, db_session):
        raise second_factor.SecondFactorRequired(
            await second_factor.is_enrolled(db_session, request.user.id)
        )
    return actor
