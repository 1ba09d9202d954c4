from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from core.interventions.models import Setting

Kind = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Duration = Annotated[int, msgspec.Meta(ge=1, le=1440)]  # minutes: at most a day
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]
# A time with its zone ("...Z" or "+01:00"): a naive time is ambiguous across BST.
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class InterventionCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    kind: Kind
    setting: Setting
    occurred_at: AwareDateTime
    duration_minutes: Duration | None = None
    notes: Notes | None = None
    episode_id: uuid.UUID | None = None


class InterventionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    notes: Notes | msgspec.UnsetType | None = msgspec.UNSET
    duration_minutes: Duration | msgspec.UnsetType | None = msgspec.UNSET
    occurred_at: AwareDateTime | msgspec.UnsetType = msgspec.UNSET
    setting: Setting | msgspec.UnsetType = msgspec.UNSET


class InterventionOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID | None
    organisation_id: uuid.UUID
    kind: str
    category: str
    setting: str
    occurred_at: datetime
    duration_minutes: int | None
    notes: str | None
    recorded_by: uuid.UUID | None
    created_at: datetime
