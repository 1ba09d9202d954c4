"""Treatment modality episodes and the treatment-goal history.

Both belong to an episode of the partnership's work with the person. A goal is never
overwritten: a change is a new row saying who, when and why. A modality's row is
written once at the start and once at the end; nothing else about it changes.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk

# Structured treatment is substance-use work: who may see it is the protocol's
# ``substance_use`` category, like the recovery plan.
CATEGORY = "substance_use"


class Modality(StrEnum):
    """The NDTMS modality groups a secure-setting provider reports."""

    MAINTENANCE = "pharmacological_maintenance"
    REDUCING = "pharmacological_reducing"
    DETOX = "pharmacological_detox"
    PSYCHOSOCIAL = "psychosocial"
    RECOVERY_SUPPORT = "recovery_support"


PHARMACOLOGICAL = frozenset({Modality.MAINTENANCE, Modality.REDUCING, Modality.DETOX})

MODALITY_LABELS: dict[str, str] = {
    Modality.MAINTENANCE: "Prescribing: maintenance",
    Modality.REDUCING: "Prescribing: reducing",
    Modality.DETOX: "Prescribing: detoxification",
    Modality.PSYCHOSOCIAL: "Psychosocial",
    Modality.RECOVERY_SUPPORT: "Recovery support",
}


class ExitReason(StrEnum):
    """Why a modality ended: NDTMS's discharge reasons, plus a move within treatment."""

    CHANGED_MODALITY = "changed_modality"
    COMPLETED_DRUG_FREE = "completed_drug_free"
    COMPLETED_ALCOHOL_FREE = "completed_alcohol_free"
    COMPLETED_OCCASIONAL_USER = "completed_occasional_user"
    TRANSFERRED_NOT_IN_CUSTODY = "transferred_not_in_custody"
    TRANSFERRED_IN_CUSTODY = "transferred_in_custody"
    DROPPED_OUT = "dropped_out"
    WITHDRAWN_BY_PROVIDER = "withdrawn_by_provider"
    RETAINED_IN_CUSTODY = "retained_in_custody"
    DECLINED = "declined"
    ONWARD_REFERRAL_REFUSED = "onward_referral_refused"
    DIED = "died"


EXIT_LABELS: dict[str, str] = {
    ExitReason.CHANGED_MODALITY: "Moved to another treatment",
    ExitReason.COMPLETED_DRUG_FREE: "Treatment completed: drug free",
    ExitReason.COMPLETED_ALCOHOL_FREE: "Treatment completed: alcohol free",
    ExitReason.COMPLETED_OCCASIONAL_USER: "Treatment completed: occasional user",
    ExitReason.TRANSFERRED_NOT_IN_CUSTODY: "Transferred: to community treatment",
    ExitReason.TRANSFERRED_IN_CUSTODY: "Transferred: to another prison",
    ExitReason.DROPPED_OUT: "Incomplete: dropped out",
    ExitReason.WITHDRAWN_BY_PROVIDER: "Incomplete: treatment withdrawn by provider",
    ExitReason.RETAINED_IN_CUSTODY: "Incomplete: retained in custody",
    ExitReason.DECLINED: "Incomplete: treatment declined",
    ExitReason.ONWARD_REFERRAL_REFUSED: "Incomplete: onward referral offered and refused",
    ExitReason.DIED: "Incomplete: died",
}


class Goal(StrEnum):
    ABSTINENCE = "abstinence"
    REDUCTION = "reduction"
    MAINTENANCE = "maintenance"
    STABILISATION = "stabilisation"
    HARM_REDUCTION = "harm_reduction"


GOAL_LABELS: dict[str, str] = {
    Goal.ABSTINENCE: "Abstinence",
    Goal.REDUCTION: "Reduction",
    Goal.MAINTENANCE: "Maintenance",
    Goal.STABILISATION: "Stabilisation",
    Goal.HARM_REDUCTION: "Harm reduction",
}


class TreatmentModality(TenantScoped, Base):
    __tablename__ = "treatment_modalities"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "started_on"),
        Index(None, "tenant_id", "episode_id"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID]
    # The organisation delivering it, which is the one that recorded it.
    organisation_id: Mapped[uuid.UUID]
    modality: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date]
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    ended_on: Mapped[date | None]
    exit_reason: Mapped[str | None] = mapped_column(String(40))
    ended_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(Text)


class TreatmentGoal(TenantScoped, Base):
    __tablename__ = "treatment_goals"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "set_on"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    goal: Mapped[str] = mapped_column(String(32))
    set_on: Mapped[date]
    set_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Why the goal is what it is; required for every change after the first.
    reason: Mapped[str | None] = mapped_column(Text)


MODELS = (TreatmentModality, TreatmentGoal)
