from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec

# Texts need at least one non-space character.
Goal = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
Goals = Annotated[list[Goal], msgspec.Meta(min_length=1, max_length=50)]
ContingencyText = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S")]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]
Notes = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000, pattern=r"\S")]
# A naive time is refused: every time in Throughcare is UTC-aware.
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class Contingency(msgspec.Struct, forbid_unknown_fields=True):
    """What happens if the person leaves structured treatment unplanned (the specification)."""

    safety: ContingencyText | None = None
    overdose_prevention: ContingencyText | None = None
    harm_reduction: ContingencyText | None = None
    re_engagement: ContingencyText | None = None


CONTINGENCY_FIELDS: tuple[str, ...] = tuple(f.name for f in msgspec.structs.fields(Contingency))


class ContingencyUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the parts given change; null clears a part."""

    safety: ContingencyText | msgspec.UnsetType | None = msgspec.UNSET
    overdose_prevention: ContingencyText | msgspec.UnsetType | None = msgspec.UNSET
    harm_reduction: ContingencyText | msgspec.UnsetType | None = msgspec.UNSET
    re_engagement: ContingencyText | msgspec.UnsetType | None = msgspec.UNSET


class PlanCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    episode_id: uuid.UUID
    goals: Goals
    contingency: Contingency = msgspec.field(default_factory=Contingency)


class PlanUpdate(msgspec.Struct, forbid_unknown_fields=True):
    goals: Goals | msgspec.UnsetType = msgspec.UNSET
    contingency: ContingencyUpdate | msgspec.UnsetType = msgspec.UNSET


class ActionCreate(msgspec.Struct, forbid_unknown_fields=True):
    description: Description
    owner_organisation_id: uuid.UUID
    due_on: date | None = None


class ActionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    description: Description | msgspec.UnsetType = msgspec.UNSET
    due_on: date | msgspec.UnsetType | None = msgspec.UNSET
    completed: bool | msgspec.UnsetType = msgspec.UNSET


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    notes: Notes
    reviewed_at: AwareDateTime | None = None  # defaults to now


class Handover(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: uuid.UUID


class PlanActionOut(msgspec.Struct):
    id: uuid.UUID
    plan_id: uuid.UUID
    description: str
    owner_organisation_id: uuid.UUID
    due_on: date | None
    completed_at: datetime | None
    created_at: datetime


class PlanReviewOut(msgspec.Struct):
    id: uuid.UUID
    plan_id: uuid.UUID
    reviewed_at: datetime
    reviewed_by: uuid.UUID | None
    notes: str
    created_at: datetime


class PlanSummary(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID
    status: str
    goals: list[str]
    handover_organisation_id: uuid.UUID | None
    handed_over_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PlanOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID
    status: str
    goals: list[str]
    contingency: Contingency
    handover_organisation_id: uuid.UUID | None
    handed_over_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    actions: list[PlanActionOut]
    reviews: list[PlanReviewOut]


def contingency_of(stored: dict[str, Any]) -> Contingency:
    """The stored JSON back as a Contingency, tolerating parts that were never written."""
    return Contingency(**{name: stored.get(name) for name in CONTINGENCY_FIELDS})
