from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.referrals.models import ReferralDecision, ReferralSource

# At least one non-space character.
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S")]
Notes = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S")]
# A naive time is refused: every time in Throughcare is UTC-aware.
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class ReferralCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    source: ReferralSource
    received_at: AwareDateTime | None = None  # defaults to now
    referring_organisation_id: uuid.UUID | None = None
    reason: Reason | None = None
    offered_appointment_at: AwareDateTime | None = None


class ReferralUpdate(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | msgspec.UnsetType | None = msgspec.UNSET
    referring_organisation_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    offered_appointment_at: AwareDateTime | msgspec.UnsetType | None = msgspec.UNSET


class ReferralDecide(msgspec.Struct, forbid_unknown_fields=True):
    decision: ReferralDecision
    notes: Notes | None = None


class ReferralOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID
    source: str
    received_at: datetime
    referring_organisation_id: uuid.UUID | None
    reason: str | None
    # The initial (triage) assessment is due within five working days, in the nation's calendar.
    assessment_due_on: date
    offered_appointment_at: datetime | None
    decision: str | None
    decided_at: datetime | None
    decided_by: uuid.UUID | None
    decision_notes: str | None
    created_by: uuid.UUID | None
    created_at: datetime
