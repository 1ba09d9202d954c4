from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped


class OutboxEntry(TenantScoped, Base):
    """A job requested in the transaction of the change that caused it.

    Committed with the change or not at all; the dispatcher hands it to arq (or to the
    in-process runner) and the job marks it finished. ``key`` makes a request idempotent.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index(None, "tenant_id", "finished_at", "dispatched_at"),
    )

    job: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(255))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dispatched_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
