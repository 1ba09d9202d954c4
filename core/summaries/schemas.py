from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

RecipientName = Annotated[str, msgspec.Meta(min_length=2, max_length=200)]


class SummarySend(msgspec.Struct, forbid_unknown_fields=True):
    recipient_organisation_id: uuid.UUID
    recipient_name: RecipientName
    # The hash of the summary the sender read: refused if it changed since.
    content_sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class AssessmentLine(msgspec.Struct):
    kind: str
    completed_on: date
    summary: str | None


class InterventionCount(msgspec.Struct):
    kind: str
    count: int


class TreatmentLine(msgspec.Struct):
    modality: str
    started_on: date
    ended_on: date | None
    exit_reason: str | None


class OutcomeChange(msgspec.Struct):
    domain: str
    first: int
    latest: int


class ReferralLine(msgspec.Struct):
    service: str
    sent_on: date
    status: str


class EpisodeSummary(msgspec.Struct):
    person_id: uuid.UUID
    episode_id: uuid.UUID
    person_name: str
    date_of_birth: date
    prison_number: str | None
    episode_opened_on: date
    episode_closed_on: date | None
    recipient_organisation_id: uuid.UUID
    recipient_organisation: str
    # Categories in the summary, and those left out (no consent, or not the sender's to read).
    shared: list[str]
    left_out: list[str]
    assessments: list[AssessmentLine]
    interventions: list[InterventionCount]
    treatment_goal: str | None
    treatment: list[TreatmentLine]
    outcomes: list[OutcomeChange]
    onward_referrals: list[ReferralLine]
    content_sha256: str


class SendingOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID
    recipient_organisation_id: uuid.UUID
    recipient_name: str
    categories: list[str]
    content_sha256: str
    sent_at: datetime
