from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from core.assessments.models import AssessmentKind, RiskLevel

Summary = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000, pattern=r"\S")]
# A naive time is refused: every time in Throughcare is UTC-aware.
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]

RISK_FIELDS: tuple[str, ...] = ("risk_self_harm", "risk_harm_to_others", "risk_overdose")


class AssessmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    kind: AssessmentKind
    referral_id: uuid.UUID | None = None
    episode_id: uuid.UUID | None = None
    completed_at: AwareDateTime | None = None  # defaults to now
    summary: Summary | None = None
    # Required for a risk assessment, refused for the other kinds.
    risk_self_harm: RiskLevel | None = None
    risk_harm_to_others: RiskLevel | None = None
    risk_overdose: RiskLevel | None = None


class AssessmentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    summary: Summary | msgspec.UnsetType | None = msgspec.UNSET
    # A risk assessment keeps all three levels: they can be changed, not cleared.
    risk_self_harm: RiskLevel | msgspec.UnsetType = msgspec.UNSET
    risk_harm_to_others: RiskLevel | msgspec.UnsetType = msgspec.UNSET
    risk_overdose: RiskLevel | msgspec.UnsetType = msgspec.UNSET


class AssessmentOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    kind: str
    category: str
    organisation_id: uuid.UUID
    referral_id: uuid.UUID | None
    episode_id: uuid.UUID | None
    completed_at: datetime
    completed_by: uuid.UUID | None
    summary: str | None
    risk_self_harm: str | None
    risk_harm_to_others: str | None
    risk_overdose: str | None
    created_at: datetime
