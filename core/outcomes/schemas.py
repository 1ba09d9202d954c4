from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.interventions.models import Setting
from core.outcomes.models import SCORE_MAX, SCORE_MIN

# One domain's score: an integer on the outcome framework's scale, higher is better.
Score = Annotated[int, msgspec.Meta(ge=SCORE_MIN, le=SCORE_MAX)]
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]


class OutcomeReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    reviewed_on: date
    setting: Setting
    # The seven domains of core.outcomes.models.DOMAINS, each required.
    criminal_activity: Score
    engagement: Score
    living_situation: Score
    physical_health: Score
    psychological_wellbeing: Score
    social_functioning: Score
    substance_misuse: Score
    notes: Notes | None = None
    episode_id: uuid.UUID | None = None


class OutcomeReviewUpdate(msgspec.Struct, forbid_unknown_fields=True):
    criminal_activity: Score | msgspec.UnsetType = msgspec.UNSET
    engagement: Score | msgspec.UnsetType = msgspec.UNSET
    living_situation: Score | msgspec.UnsetType = msgspec.UNSET
    physical_health: Score | msgspec.UnsetType = msgspec.UNSET
    psychological_wellbeing: Score | msgspec.UnsetType = msgspec.UNSET
    social_functioning: Score | msgspec.UnsetType = msgspec.UNSET
    substance_misuse: Score | msgspec.UnsetType = msgspec.UNSET
    notes: Notes | msgspec.UnsetType | None = msgspec.UNSET


class OutcomeReviewOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID | None
    organisation_id: uuid.UUID
    reviewed_on: date
    setting: str
    reviewed_by: uuid.UUID | None
    criminal_activity: int
    engagement: int
    living_situation: int
    physical_health: int
    psychological_wellbeing: int
    social_functioning: int
    substance_misuse: int
    notes: str | None
    created_at: datetime


class ScorePoint(msgspec.Struct):
    reviewed_on: date
    score: int


class DomainDistance(msgspec.Struct):
    """One domain across a person's reviews: null first/latest/change when there are none."""

    first: int | None
    latest: int | None
    change: int | None  # latest - first: positive is better
    series: list[ScorePoint]


class DistanceTravelled(msgspec.Struct):
    person_id: uuid.UUID
    reviews: int
    first_reviewed_on: date | None
    latest_reviewed_on: date | None
    domains: dict[str, DomainDistance]  # keyed by domain, in DOMAINS order


class ReviewDue(msgspec.Struct):
    """A person in custody whose monthly outcome review is due (for reminder jobs)."""

    person_id: uuid.UUID
    episode_id: uuid.UUID
    last_reviewed_on: date | None  # the latest review since the episode opened
    episode_opened_on: date
