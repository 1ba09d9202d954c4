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
from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import second_factor
from core.accounts.models import ApiToken, Membership
from core.authz import actor_cache
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
    # The tenant's live protocol version, read with the membership (or checked against
    # the cached actor's stamp) on every request.
    policy_version: int = 0
    # Whether the user holds a break-glass grant in force here, read with the membership:
    # when not, lists leave the break-glass probe out. True unless read, to fail open to
    # the probe (which still decides), never to skip it.
    break_glass: bool = True
    # The tenant file's second_factor setting (None: decided by the environment).
    second_factor_policy: str | None = None

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def _actor_query() -> Any:
    """Who the user is in one tenant, and the stamp it is cached under: one statement.

    Over the tables, not the mapped classes: a Core row, no ORM loading context.
    """
    tenant, membership = Tenant.__table__.c, Membership.__table__.c
    organisation, grant = Organisation.__table__.c, BreakGlassGrant.__table__.c
    glass = exists(
        select(grant.id).where(
            grant.tenant_id == tenant.id,
            grant.user_id == bindparam("user_id"),
            grant.expires_at > bindparam("now"),
            grant.ended_at.is_(None),
        )
    )
    # Columns, not ORM objects: the row goes straight into the Struct.
    columns = select(
        tenant.id,
        tenant.slug,
        tenant.nation,
        tenant.config,
        membership.id,
        membership.roles,
        organisation.id,
        organisation.kind,
        glass,
        *actor_cache.stamp_columns(),
    ).select_from(Tenant.__table__)
    return (
        actor_cache.with_generation(columns)
        .join(Membership.__table__, membership.tenant_id == tenant.id)
        .join(
            Organisation.__table__,
            (organisation.tenant_id == membership.tenant_id)
            & (organisation.id == membership.organisation_id),
        )
        .where(
            tenant.slug == bindparam("slug"),
            tenant.is_active.is_(True),
            membership.user_id == bindparam("user_id"),
            membership.is_active.is_(True),
        )
    )


ACTOR_QUERY = _actor_query()


async def resolve_actor_stamped(
    session: AsyncSession, user: CurrentUser, tenant_slug: str
) -> tuple[Actor, actor_cache.Stamp] | None:
    row = (
        await session.execute(
            ACTOR_QUERY, {"slug": tenant_slug, "user_id": user.id, "now": utcnow()}
        )
    ).one_or_none()
    if row is None:
        return None
    tenant_id, slug, nation, config, membership_id, roles, org_id, kind, glass = row[:9]
    config = config or {}
    actor = Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        tenant_id=tenant_id,
        tenant_slug=slug,
        nation=nation,
        membership_id=membership_id,
        organisation_id=org_id,
        organisation_kind=kind,
        roles=tuple(roles or ()),
        enabled_plugins=tuple(config.get("plugins", [])),
        policy_version=row[9],
        break_glass=bool(glass),
        second_factor_policy=config.get("second_factor"),
    )
    return actor, actor_cache.as_stamp(row[9:])


async def resolve_actor(session: AsyncSession, user: CurrentUser, tenant_slug: str) -> Actor | None:
    found = await resolve_actor_stamped(session, user, tenant_slug)
    return None if found is None else found[0]


class ActorCache:
    """Resolved actors of one process (one app), each kept with the stamp it was read at.

    Bounded: past ``size`` entries the oldest goes. Misses (not a member) are never kept,
    so a new membership needs no bump to be seen.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.entries: dict[tuple[uuid.UUID, str], tuple[Actor, actor_cache.Stamp]] = {}
        self.hits = 0
        self.misses = 0

    async def actor(
        self, session: AsyncSession, user: CurrentUser, tenant_slug: str
    ) -> Actor | None:
        key = (user.id, tenant_slug)
        entry = self.entries.get(key)
        if entry is not None:
            cached, stamp = entry
            same_user = (cached.username, cached.display_name) == (
                user.username,
                user.display_name,
            )
            if same_user and await actor_cache.current_stamp(session, cached.tenant_id) == stamp:
                self.hits += 1
                return cached
            self.entries.pop(key, None)
        self.misses += 1
        found = await resolve_actor_stamped(session, user, tenant_slug)
        if found is None:
            return None
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = found
        return found[0]


def actor_cache_of(state: Any) -> ActorCache:
    cache = getattr(state, "actor_cache", None)
    if cache is None:  # an app wired without one still works, uncached per app
        cache = state.actor_cache = ActorCache()
    return cache


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
    actor = await actor_cache_of(request.app.state).actor(db_session, request.user, tenant)
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
