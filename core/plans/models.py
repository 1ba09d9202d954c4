from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow


class PlanStatus(StrEnum):
    ACTIVE = "active"
    HANDED_OVER = "handed_over"  # to the community provider on release, with consent
    CLOSED = "closed"


class RecoveryPlan(TenantScoped, Base):
    __tablename__ = "recovery_plans"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "handover_organisation_id"),
        Index(None, "tenant_id", "person_id"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.ACTIVE)
    goals: Mapped[list[str]] = mapped_column(JSON, default=list)
    # safety, overdose_prevention, harm_reduction, re_engagement (service specification).
    contingency: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    handover_organisation_id: Mapped[uuid.UUID | None]
    handed_over_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PlanAction(TenantScoped, Base):
    __tablename__ = "plan_actions"
    __table_args__ = (
        tenant_fk("recovery_plans", "plan_id", ondelete="CASCADE"),
        tenant_fk("organisations", "owner_organisation_id"),
        Index(None, "tenant_id", "plan_id"),
        Index(None, "tenant_id", "owner_organisation_id", "due_on"),
    )

    plan_id: Mapped[uuid.UUID]
    description: Mapped[str] = mapped_column(Text)
    owner_organisation_id: Mapped[uuid.UUID]
    due_on: Mapped[date | None]
    completed_at: Mapped[datetime | None]


class PlanReview(TenantScoped, Base):
    __tablename__ = "plan_reviews"
    __table_args__ = (
        tenant_fk("recovery_plans", "plan_id", ondelete="CASCADE"),
        Index(None, "tenant_id", "plan_id", "reviewed_at"),
    )

    plan_id: Mapped[uuid.UUID]
    reviewed_at: Mapped[datetime]
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text)
