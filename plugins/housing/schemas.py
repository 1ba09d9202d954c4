"""The housing API's wire types."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from plugins.housing.models import Status

# Short on purpose: the housing needs in a line or two, not case notes.
Needs = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]

Rag = Literal["red", "amber", "green"]


class HousingCreate(msgspec.Struct, forbid_unknown_fields=True):
    local_authority_id: uuid.UUID | None = None
    needs: Needs | None = None


class HousingUpdate(msgspec.Struct, forbid_unknown_fields=True):
    local_authority_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    needs: Needs | msgspec.UnsetType | None = msgspec.UNSET


class StepCreate(msgspec.Struct, forbid_unknown_fields=True):
    status: Status
    on_date: date | None = None  # defaults to today
    note: Note | None = None


class StepOut(msgspec.Struct):
    id: uuid.UUID
    from_status: str | None
    to_status: str
    on_date: date
    acted_by: uuid.UUID | None
    organisation_id: uuid.UUID | None
    note: str | None
    created_at: datetime


class NextAction(msgspec.Struct):
    """What the housing sub-group does next, and by when (None: no date applies)."""

    status: str
    label: str
    due: date | None
    # True when the authority acts only on the liberation day itself.
    liberation_day_action: bool = False


class HousingOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    local_authority_id: uuid.UUID | None
    local_authority_name: str | None
    registration_rule: str | None
    needs: str | None
    status: str
    status_on: date
    liberation_date: date | None
    rag: Rag | None
    next_action: NextAction | None
    steps: list[StepOut]
    created_at: datetime


class BoardItem(msgspec.Struct):
    person_id: uuid.UUID
    given_name: str
    family_name: str
    prison_number: str | None
    liberation_date: date
    days_left: int
    local_authority_id: uuid.UUID | None
    local_authority_name: str | None
    registration_rule: str | None
    needs: str | None
    status: str
    status_on: date
    rag: Rag
    next_action: NextAction | None


class AuthorityOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    registration_rule: str
