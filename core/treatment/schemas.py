"""Wire types for structured treatment (msgspec; unknown fields refused)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.treatment.models import ExitReason, Goal, Modality

Notes = Annotated[str, msgspec.Meta(max_length=2_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]


class ModalityStart(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    modality: Modality
    started_on: date
    # The person's open episode when not given.
    episode_id: uuid.UUID | None = None
    notes: Notes | None = None


class ModalityEnd(msgspec.Struct, forbid_unknown_fields=True):
    ended_on: date
    exit_reason: ExitReason
    notes: Notes | None = None


class ModalityChange(msgspec.Struct, forbid_unknown_fields=True):
    """End one modality and start the next on the same day (maintenance -> reducing)."""

    to: Modality
    changed_on: date
    notes: Notes | None = None


class GoalSet(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    goal: Goal
    set_on: date
    # Required for every change after the first goal: the history says why.
    reason: Reason | None = None
    episode_id: uuid.UUID | None = None


class ModalityOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    modality: str
    modality_label: str
    started_on: date
    started_by_name: str | None
    ended_on: date | None
    exit_reason: str | None
    exit_label: str | None
    ended_by_name: str | None
    notes: str | None
    created_at: datetime


class ModalityChanged(msgspec.Struct):
    ended: ModalityOut
    started: ModalityOut


class GoalOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    goal: str
    goal_label: str
    set_on: date
    set_by_name: str | None
    reason: str | None
    previous_goal: str | None
    created_at: datetime


class TreatmentHistory(msgspec.Struct):
    person_id: uuid.UUID
    current_goal: GoalOut | None
    # Newest first; nothing is ever removed from either list.
    goals: list[GoalOut]
    modalities: list[ModalityOut]
