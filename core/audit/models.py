from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, new_id, utcnow


class AuditEvent(Base):
    """Append-only. tenant_id is null only for platform events (sign-in, admin)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index(None, "tenant_id", "at"),
        Index(None, "tenant_id", "person_id", "at"),
        Index(None, "tenant_id", "user_id", "at"),
        # One row per place in a chain; the head row's lock is what orders writers.
        Index(None, "tenant_id", "seq", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None]
    organisation_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[uuid.UUID | None]
    person_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The policy rule that allowed or denied, once the sharing engine decides.
    rule: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hash chain (core.audit.chain). Null only on rows written before chaining began.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last place in each chain. Advancing it takes the lock that serialises writers."""

    __tablename__ = "audit_chain_heads"

    # The chain's tenant; the nil UUID (core.audit.chain.PLATFORM_ID) for the platform's.
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditPrunePermit(Base):
    """Read by SQLite's delete trigger: while a row exists (inside the prune transaction
    only), audit rows may be deleted. PostgreSQL uses a transaction-local setting instead."""

    __tablename__ = "audit_prune_permits"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
