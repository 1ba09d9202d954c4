"""An onward referral and its status history (kept on the row, never rewritten)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class OnwardService(StrEnum):
    PRISON_PSYCHOLOGY = "prison_psychology"
    COMMUNITY_TREATMENT = "community_treatment"
    MUTUAL_AID_12_STEP = "mutual_aid_12_step"
    MUTUAL_AID_NA = "mutual_aid_na"
    MUTUAL_AID_SMART = "mutual_aid_smart"
    HOUSING = "housing"
    OTHER = "other"


SERVICE_LABELS: dict[str, str] = {
    OnwardService.PRISON_PSYCHOLOGY: "Prison psychology",
    OnwardService.COMMUNITY_TREATMENT: "Community treatment on release",
    OnwardService.MUTUAL_AID_12_STEP: "Mutual aid: 12-step (AA, CA)",
    OnwardService.MUTUAL_AID_NA: "Mutual aid: Narcotics Anonymous",
    OnwardService.MUTUAL_AID_SMART: "Mutual aid: SMART Recovery",
    OnwardService.HOUSING: "Housing",
    OnwardService.OTHER: "Another service",
}

# What a referral to each service says about the person is that service's subject:
# psychology is health, community treatment is substance use, mutual aid is peer support.
SERVICE_CATEGORIES: dict[str, str] = {
    OnwardService.PRISON_PSYCHOLOGY: "health",
    OnwardService.COMMUNITY_TREATMENT: "substance_use",
    OnwardService.MUTUAL_AID_12_STEP: "peer_support",
    OnwardService.MUTUAL_AID_NA: "peer_support",
    OnwardService.MUTUAL_AID_SMART: "peer_support",
    OnwardService.HOUSING: "case_notes",
    OnwardService.OTHER: "case_notes",
}

# Services that give an appointment the person then attends or misses.
APPOINTMENT_SERVICES = frozenset(
    {OnwardService.PRISON_PSYCHOLOGY, OnwardService.COMMUNITY_TREATMENT}
)


class Route(StrEnum):
    """How a referral to prison psychology goes: the specification names two ways."""

    PRISON_GP = "prison_gp"
    OFFENDER_MANAGEMENT_TEAM = "offender_management_team"


ROUTE_LABELS: dict[str, str] = {
    Route.PRISON_GP: "Through the prison GP",
    Route.OFFENDER_MANAGEMENT_TEAM: "Through the Offender Management Team",
}


class OnwardStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ATTENDED = "attended"
    DID_NOT_ATTEND = "did_not_attend"


STATUS_LABELS: dict[str, str] = {
    OnwardStatus.SENT: "Sent",
    OnwardStatus.ACCEPTED: "Accepted",
    OnwardStatus.DECLINED: "Declined",
    OnwardStatus.ATTENDED: "Attended",
    OnwardStatus.DID_NOT_ATTEND: "Did not attend",
}

# Where a referral may go next. A missed appointment may still be attended later
# (re-engagement); a declined referral is final: a new one is sent instead.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    OnwardStatus.SENT: frozenset(
        {OnwardStatus.ACCEPTED, OnwardStatus.DECLINED, OnwardStatus.ATTENDED}
    ),
    OnwardStatus.ACCEPTED: frozenset({OnwardStatus.ATTENDED, OnwardStatus.DID_NOT_ATTEND}),
    OnwardStatus.DID_NOT_ATTEND: frozenset({OnwardStatus.ATTENDED}),
    OnwardStatus.DECLINED: frozenset(),
    OnwardStatus.ATTENDED: frozenset(),
}


class OnwardReferral(TenantScoped, Base):
    __tablename__ = "onward_referrals"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "sent_on"),
        Index(None, "tenant_id", "service", "status"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID]
    # The partner that sent it, and the only one that records what became of it.
    organisation_id: Mapped[uuid.UUID]
    service: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    route: Mapped[str | None] = mapped_column(String(32))
    # The receiving service as the worker names it ("Spectrum community team, Stockton").
    receiving_service: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    sent_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20))
    status_on: Mapped[date]
    appointment_on: Mapped[date | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # [{status, on, by, reason}], oldest first: every status the referral has had.
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
