from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow


class Phase(StrEnum):
    REFERRAL = "referral"
    ASSESSMENT = "assessment"
    IN_CUSTODY_SUPPORT = "in_custody_support"
    PRE_LIBERATION = "pre_liberation"
    COMMUNITY = "community"
    CLOSED = "closed"


class Episode(TenantScoped, Base):
    __tablename__ = "episodes"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "previous_episode_id"),
        tenant_fk("organisations", "lead_organisation_id"),
        Index(None, "tenant_id", "person_id", "opened_at"),
        Index(None, "tenant_id", "phase"),
        Index(None, "tenant_id", "key_worker_id"),
    )

    person_id: Mapped[uuid.UUID]
    # A re-referral opens a new episode linked to the one before: recovery is not linear.
    previous_episode_id: Mapped[uuid.UUID | None]
    phase: Mapped[str] = mapped_column(String(32), default=Phase.REFERRAL)
    key_worker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    lead_organisation_id: Mapped[uuid.UUID | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PhaseChange(TenantScoped, Base):
    """The history of an episode's phase moves."""

    __tablename__ = "episode_phase_changes"
    __table_args__ = (
        tenant_fk("episodes", "episode_id", ondelete="CASCADE"),
        Index(None, "tenant_id", "episode_id", "changed_at"),
    )

    episode_id: Mapped[uuid.UUID]
    from_phase: Mapped[str | None] = mapped_column(String(32))
    to_phase: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
