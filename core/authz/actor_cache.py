"""The actor, cached per process, with a one-row validity check on every request.

Resolving the actor joins tenant, membership and organisation and loads three ORM objects
on every request. The cache keeps the resolved :class:`~core.authz.actor.Actor` per
(user, tenant) together with a *stamp*: the tenant's protocol version, ``is_active``,
``updated_at`` and its row in ``actor_generations``. A request reads the stamp with one
primary-key SELECT and reuses the actor only while the stamp is unchanged, so a change
made in any process is seen on the next request in every process:

- a new protocol version moves ``tenants.policy_version`` (and ``updated_at``);
- any other change to the tenant row moves ``updated_at`` (its ``onupdate``);
- a change to a membership, an organisation, a user's standing or a new break-glass grant
  bumps the tenant's generation in the same transaction (:func:`bump_actor_generation`,
  called by the flush listener below, and by hand by code that writes with Core).

The stamp is read *before* the actor it is stored with (or in the same statement), so a
change that lands between the two can only make the entry look stale, never fresh.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    Select,
    Table,
    bindparam,
    event,
    inspect,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import Insert

from core.accounts.models import Membership, User
from core.authz.models import BreakGlassGrant
from core.db.base import Base
from core.tenancy.models import Organisation, Tenant

actor_generations = Table(
    "actor_generations",
    Base.metadata,
    Column(
        "tenant_id",
        Base.type_annotation_map[uuid.UUID],
        ForeignKey("tenants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("generation", Integer, nullable=False, server_default="0"),
)

# (policy_version, is_active, updated_at, generation): equal stamps, same actor.
Stamp = tuple[int, bool, datetime | None, int]

# The check's own statement, built once: FROM tenants, by primary key, one row.
TENANTS = Tenant.__table__
STAMP_COLUMNS = (
    TENANTS.c.policy_version,
    TENANTS.c.is_active,
    TENANTS.c.updated_at,
    actor_generations.c.generation,
)


def stamp_columns() -> tuple[Any, ...]:
    return STAMP_COLUMNS


def with_generation(statement: Select[Any]) -> Select[Any]:
    """Join a statement over ``tenants`` to the tenant's generation row (if any yet)."""
    return statement.outerjoin(actor_generations, actor_generations.c.tenant_id == TENANTS.c.id)


STAMP_QUERY: Select[Any] = with_generation(select(*STAMP_COLUMNS)).where(
    TENANTS.c.id == bindparam("tenant_id")
)


def as_stamp(row: Any) -> Stamp:
    policy_version, is_active, updated_at, generation = row
    return (int(policy_version), bool(is_active), updated_at, int(generation or 0))


async def current_stamp(session: AsyncSession, tenant_id: uuid.UUID) -> Stamp | None:
    row = (await session.execute(STAMP_QUERY, {"tenant_id": tenant_id})).one_or_none()
    return None if row is None else as_stamp(row)


# ---- bumping ---------------------------------------------------------------------------


def _upsert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _on_conflict_bump(statement: Any) -> Insert:
    return statement.on_conflict_do_update(
        index_elements=[actor_generations.c.tenant_id],
        set_={"generation": actor_generations.c.generation + 1},
    )


def bump_statement(dialect: str, tenant_ids: Iterable[uuid.UUID]) -> Insert:
    rows = [{"tenant_id": t, "generation": 1} for t in sorted(set(tenant_ids))]
    return _on_conflict_bump(_upsert(dialect)(actor_generations).values(rows))


def bump_all_statement(dialect: str) -> Insert:
    # "WHERE true": SQLite cannot otherwise tell INSERT ... SELECT ... ON CONFLICT apart.
    source = select(Tenant.id, 1).where(true())
    return _on_conflict_bump(
        _upsert(dialect)(actor_generations).from_select(["tenant_id", "generation"], source)
    )


async def bump_actor_generation(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Every process drops its cached actors of this tenant on their next request.

    Call it in the transaction that changes who someone is in the tenant (deactivating a
    user, changing roles, moving a membership) when the change is written with Core
    statements; changes made through ORM objects bump it themselves at flush. It takes
    effect with the caller's commit, and not at all if the caller rolls back.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    await session.execute(bump_statement(dialect, [tenant_id]))


# ---- automatic bumps: every ORM flush and Core write through a session ------------------

WATCHED_TABLES = frozenset({"memberships", "organisations", "break_glass_grants", "users"})
# Of a user, only what the actor or sign-in reads: last_login_at moves on every sign-in.
USER_STANDING = ("is_active", "is_platform_admin", "username", "display_name")


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = inspect(obj)  # attribute history of the flush in progress
    return any(state.attrs[name].history.has_changes() for name in names)


def _tenants_touched(session: Session) -> set[uuid.UUID]:
    tenants: set[uuid.UUID] = set()
    users: set[uuid.UUID] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Membership | Organisation | BreakGlassGrant):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if obj.tenant_id is not None:
                tenants.add(obj.tenant_id)
        elif isinstance(obj, User) and obj in session.dirty and _changed(obj, USER_STANDING):
            users.add(obj.id)
    if users:
        found = session.execute(
            select(Membership.tenant_id).where(Membership.user_id.in_(users))
        ).scalars()
        tenants.update(found)
    return tenants


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, _context: Any) -> None:
    # After the flush: a tenant made in the same flush exists by the time it is bumped.
    tenants = _tenants_touched(session)
    if tenants:
        session.execute(bump_statement(session.get_bind().dialect.name, tenants))


@event.listens_for(Session, "do_orm_execute")
def _bump_after_core_write(state: ORMExecuteState) -> None:
    # A Core UPDATE/INSERT/DELETE names no object, so no tenant: bump every tenant.
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in WATCHED_TABLES:
        return
    state.session.execute(bump_all_statement(state.session.get_bind().dialect.name))
