from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk

# Low Moss PSP's quality-of-life outcomes, in the order the evaluation lists them.
DOMAINS: tuple[str, ...] = (
    "criminal_activity",
    "engagement",
    "living_situation",
    "physical_health",
    "psychological_wellbeing",
    "social_functioning",
    "substance_misuse",
)
SCORE_MIN, SCORE_MAX = 1, 10  # higher is better in every domain


class OutcomeReview(TenantScoped, Base):
    __tablename__ = "outcome_reviews"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "reviewed_on"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID | None]
    organisation_id: Mapped[uuid.UUID]
    reviewed_on: Mapped[date]
    setting: Mapped[str] = mapped_column(String(20))
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    criminal_activity: Mapped[int]
    engagement: Mapped[int]
    living_situation: Mapped[int]
    physical_health: Mapped[int]
    psychological_wellbeing: Mapped[int]
    social_functioning: Mapped[int]
    substance_misuse: Mapped[int]
    notes: Mapped[str | None] = mapped_column(Text)
