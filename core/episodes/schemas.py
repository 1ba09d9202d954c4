from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from core.episodes.models import Phase

# At least one non-space character.
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]


class EpisodeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    # null clears; the key worker must be an active member of the partnership.
    key_worker_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    lead_organisation_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET


class PhaseMove(msgspec.Struct, forbid_unknown_fields=True):
    to: Phase
    reason: Reason | None = None  # becomes the closed reason when closing


class PhaseChangeOut(msgspec.Struct):
    id: uuid.UUID
    from_phase: str | None
    to_phase: str
    changed_at: datetime
    changed_by: uuid.UUID | None
    reason: str | None


class EpisodeSummary(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    previous_episode_id: uuid.UUID | None
    phase: str
    key_worker_id: uuid.UUID | None
    lead_organisation_id: uuid.UUID | None
    opened_at: datetime
    closed_at: datetime | None


class EpisodeOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    previous_episode_id: uuid.UUID | None
    phase: str
    key_worker_id: uuid.UUID | None
    lead_organisation_id: uuid.UUID | None
    opened_at: datetime
    closed_at: datetime | None
    closed_reason: str | None
    created_at: datetime
    updated_at: datetime
    # Oldest first: where the episode has been, with who moved it and why.
    history: list[PhaseChangeOut]
