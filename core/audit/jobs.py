"""Whole-database audit operations (verify, checkpoint, prune), used by the
``throughcare audit`` commands and the daily job."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import checkpoint as cp
from core.audit.chain import (
    PLATFORM_ID,
    VerifyReport,
    audit_key,
    chain_name,
    checkpoint_dir,
    verify_chain,
)
from core.audit.models import AuditChainHead
from core.audit.prune import PruneResult, prune_chain
from core.db.base import utcnow
from core.hookspecs import hookimpl
from core.hooktypes import Schedule
from core.settings import Settings
from core.tenancy.models import Tenant

# Daily, after the other housekeeping: verify each chain, then sign where it stands.
SCHEDULE = Schedule(job="audit_verify_and_checkpoint", hour=2, minute=45)


class AuditJobResult(msgspec.Struct, frozen=True):
    reports: list[VerifyReport]
    checkpointed: list[str]
    pruned: list[PruneResult] = []


async def chains(session: AsyncSession, tenant_slug: str | None = None) -> list[uuid.UUID | None]:
    """The chains to check: one tenant's, or the platform's and every tenant's."""
    if tenant_slug is not None:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
        if tenant_id is None:
            raise LookupError(f"no partnership {tenant_slug!r}")
        return [tenant_id]
    found: dict[str, uuid.UUID | None] = {chain_name(None): None}
    for tid in (await session.scalars(select(Tenant.id).order_by(Tenant.slug))).all():
        found[chain_name(tid)] = tid
    # A chain whose tenant row went away is still checked.
    for tid in (await session.scalars(select(AuditChainHead.tenant_id))).all():
        if tid != PLATFORM_ID:
            found.setdefault(chain_name(tid), tid)
    return list(found.values())


async def verify_all(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    tenant_ids: list[uuid.UUID | None],
) -> list[VerifyReport]:
    key, directory = audit_key(settings), checkpoint_dir(settings)
    reports = []
    for tid in tenant_ids:
        async with factory() as session:
            reports.append(await verify_chain(session, key, tid, checkpoints=directory))
    return reports


def checkpoint_reports(settings: Settings, reports: list[VerifyReport]) -> list[str]:
    """Sign the head of every verified chain; a broken chain gets no checkpoint, so a
    break cannot be laundered into a signed head."""
    key, directory = audit_key(settings), checkpoint_dir(settings)
    written = []
    for report in reports:
        if report.ok:
            cp.write(
                directory, key, report.chain, report.tenant_id, "head",
                report.last_seq, report.last_hash,
            )  # fmt: skip
            written.append(report.chain)
    return written


async def prune_all(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    tenant_ids: list[uuid.UUID | None],
    days: int,
) -> list[PruneResult]:
    key, directory = audit_key(settings), checkpoint_dir(settings)
    before = utcnow() - timedelta(days=days)
    results = []
    for tid in tenant_ids:
        async with factory() as session:
            results.append(await prune_chain(session, key, tid, before, directory))
    return results


async def audit_verify_and_checkpoint(
    ctx: dict[str, Any], tenant_id: uuid.UUID | str
) -> dict[str, Any]:
    """Scheduled per tenant: verify its chain (and the platform's), checkpoint what
    verified, then prune past the retention period if one is set. Idempotent: a second
    run the same day appends an equal checkpoint."""
    settings: Settings = ctx["settings"]
    factory = ctx["session_factory"]
    tenant_ids: list[uuid.UUID | None] = [uuid.UUID(str(tenant_id)), None]
    reports = await verify_all(factory, settings, tenant_ids)
    written = checkpoint_reports(settings, reports)
    pruned: list[PruneResult] = []
    days = settings.audit.retention_days
    if days is not None:
        ok = [r.tenant_id for r in reports if r.ok]
        pruned = await prune_all(factory, settings, ok, days)
    result = AuditJobResult(reports, written, pruned)
    answer: dict[str, Any] = msgspec.to_builtins(result)
    return answer


@hookimpl
def register_jobs() -> list[Any]:
    return [audit_verify_and_checkpoint]


@hookimpl
def register_schedules() -> list[Schedule]:
    return [SCHEDULE]
