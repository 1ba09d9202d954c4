from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class AssessmentKind(StrEnum):
    SCREENING = "screening"
    COMPREHENSIVE = "comprehensive"
    RISK = "risk"


# The specification's standard: the initial assessment (triage) within five working days of
# referral. A comprehensive assessment is for those who need structured treatment; one
# recorded first also meets the standard, since it includes the triage questions.
INITIAL_KINDS: tuple[str, ...] = (AssessmentKind.SCREENING, AssessmentKind.COMPREHENSIVE)


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Assessment(TenantScoped, Base):
    __tablename__ = "assessments"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("referrals", "referral_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "completed_at"),
        Index(None, "tenant_id", "referral_id"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID | None]
    referral_id: Mapped[uuid.UUID | None]
    organisation_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))
    # Risk assessments are `risk`; screening and comprehensive are `substance_use`.
    category: Mapped[str] = mapped_column(String(40))
    completed_at: Mapped[datetime]
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str | None] = mapped_column(Text)
    risk_self_harm: Mapped[str | None] = mapped_column(String(10))
    risk_harm_to_others: Mapped[str | None] = mapped_column(String(10))
    risk_overdose: Mapped[str | None] = mapped_column(String(10))
