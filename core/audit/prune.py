"""Retention: delete a chain's rows older than a cut, leaving a signed checkpoint at the
cut so verify still passes and starts from there.

The append-only triggers let rows go only inside this transaction: on PostgreSQL while
the transaction-local setting ``throughcare.audit_prune`` is on, on SQLite while a row
in ``audit_prune_permits`` exists (inserted and deleted here, before commit).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import msgspec
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import checkpoint as cp
from core.audit.chain import chain_name, head_id
from core.audit.models import AuditChainHead, AuditEvent, AuditPrunePermit


class PruneResult(msgspec.Struct, frozen=True):
    chain: str
    deleted: int
    cut_seq: int


async def prune_chain(
    session: AsyncSession,
    key: bytes,
    tenant_id: uuid.UUID | None,
    before: datetime,
    checkpoints: Path,
) -> PruneResult:
    """Delete the chain's rows up to (not including) its first row at or after ``before``.
    Commits. Verify the chain first: the cut trusts the first kept row's link."""
    name = chain_name(tenant_id)
    heads = AuditChainHead.__table__
    # Lock the head first, as writers do, so no row joins the chain during the cut.
    locked = (
        await session.execute(
            update(heads)
            .where(heads.c.tenant_id == head_id(tenant_id))
            .values(seq=heads.c.seq)
            .returning(heads.c.seq, heads.c.hash)
        )
    ).one_or_none()
    if locked is None:
        await session.rollback()
        return PruneResult(name, 0, 0)
    head_seq, head_hash = int(locked[0]), str(locked[1])
    where = (
        AuditEvent.tenant_id.is_(None) if tenant_id is None else (AuditEvent.tenant_id == tenant_id)
    )
    first_kept = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.prev_hash)
            .where(where, AuditEvent.seq.is_not(None), AuditEvent.at >= before)
            .order_by(AuditEvent.seq)
            .limit(1)
        )
    ).one_or_none()
    if first_kept is None:
        cut_seq, cut_hash = head_seq, head_hash  # every row is older than the cut
    else:
        cut_seq, cut_hash = int(first_kept[0]) - 1, str(first_kept[1])
    previous_cut, _ = cp.latest(checkpoints, name, key)
    if cut_seq <= (previous_cut.seq if previous_cut else 0):
        await session.rollback()
        return PruneResult(name, 0, cut_seq)
    # The checkpoint first: if the commit then fails, verify skips rows before the cut
    # rather than finding a gap at the start of the chain.
    cp.write(checkpoints, key, name, tenant_id, "cut", cut_seq, cut_hash)
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT set_config('throughcare.audit_prune', 'on', true)"))
    else:
        await session.execute(insert(AuditPrunePermit).values(tenant_id=head_id(tenant_id)))
    count = int(
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(where, AuditEvent.seq <= cut_seq)
        )
        or 0
    )
    await session.execute(delete(AuditEvent).where(where, AuditEvent.seq <= cut_seq))
    if session.bind.dialect.name != "postgresql":
        await session.execute(delete(AuditPrunePermit))
    await session.commit()
    return PruneResult(name, count, cut_seq)
