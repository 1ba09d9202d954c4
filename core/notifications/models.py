from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class Notification(TenantScoped, Base):
    """One task in one user's list. ``title`` is generic; the case lives behind ``link``."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The same reminder (key) reaches a user once, however often its job runs.
        UniqueConstraint("tenant_id", "key", "user_id"),
        tenant_fk("persons", "person_id"),
        Index(None, "tenant_id", "user_id", "done_at", "due_date"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(500))
    key: Mapped[str] = mapped_column(String(255))
    # The person the task is about, if any: kept so the list can be filtered by access.
    person_id: Mapped[uuid.UUID | None]
    due_date: Mapped[date | None]
    done_at: Mapped[datetime | None]
    # Set once the user was told by email (only when SMTP is configured).
    emailed_at: Mapped[datetime | None]
