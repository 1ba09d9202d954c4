from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class ReferralSource(StrEnum):
    SELF = "self"
    STAFF_CONCERN = "staff_concern"  # e.g. the previous night's report (HMP Perth)
    OFFENDER_MANAGEMENT = "offender_management"
    HEALTHCARE = "healthcare"
    POSITIVE_DRUG_TEST = "positive_drug_test"  # automatic, per the service specification
    PRE_RELEASE_MEETING = "pre_release_meeting"
    COMMUNITY = "community"
    # Leicester: "on arrival a member of team is on hand to ask if they need support".
    RECEPTION = "reception"
    # Leicester: "if anyone collapses or falls ill because of substance misuse they are
    # once again offered help".
    HEALTH_INCIDENT = "health_incident"
    # The specification's self-referral channels, and Leicester's planned drop-in.
    APPLICATION = "application"
    IN_CELL_TELEPHONE = "in_cell_telephone"
    DROP_IN = "drop_in"


class ReferralDecision(StrEnum):
    FULL_SUPPORT = "full_support"
    BRIEF_INTERVENTION = "brief_intervention"  # brief intervention or duty support
    DECLINED = "declined"  # the offer is still recorded, with who and when


class Referral(TenantScoped, Base):
    __tablename__ = "referrals"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "referring_organisation_id"),
        Index(None, "tenant_id", "person_id", "received_at"),
        Index(None, "tenant_id", "received_at"),
        Index(None, "tenant_id", "assessment_due_on"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID]
    source: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime]
    referring_organisation_id: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(Text)
    # Initial (triage) assessment due: five working days, in the tenant's nation's calendar.
    assessment_due_on: Mapped[date]
    offered_appointment_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decision_notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
