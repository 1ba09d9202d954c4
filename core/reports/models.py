from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped


class ReportRun(TenantScoped, Base):
    """A stored, rendered report (suppressed, anonymised): one per tenant, kind and period."""

    __tablename__ = "report_runs"
    __table_args__ = (
        # One run per tenant, kind and period: the job's idempotency rests on this.
        Index(None, "tenant_id", "kind", "period_start", "period_end", unique=True),
        Index(None, "tenant_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date]
    period_end: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    csv: Mapped[str] = mapped_column(Text)
    # None when the scheduled job made it.
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
