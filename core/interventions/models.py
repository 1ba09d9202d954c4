from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class Setting(StrEnum):
    PRISON = "prison"
    COMMUNITY = "community"


class Intervention(TenantScoped, Base):
    __tablename__ = "interventions"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "occurred_at"),
        Index(None, "tenant_id", "organisation_id", "occurred_at"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID | None]
    organisation_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(60))
    # Derived from the kind when logged; kept on the row so lists filter in SQL.
    category: Mapped[str] = mapped_column(String(40))
    setting: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    duration_minutes: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
