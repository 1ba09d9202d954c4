"""Wire types: inputs refuse unknown fields; every 4xx names the field to blame."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from plugins.family_support.models import FamilyDayStatus, Relationship, SessionKind

ContactName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
# Digits, spaces and the usual punctuation of a UK or international number.
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9][0-9 ()-]{5,28}$")]
Duration = Annotated[int, msgspec.Meta(ge=1, le=1440)]
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]
Location = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class ContactCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: ContactName
    relationship: Relationship
    phone: Phone | None = None


class ContactOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    name: str
    relationship: str
    phone: str | None
    consent_id: uuid.UUID
    organisation_id: uuid.UUID
    recorded_by: uuid.UUID | None
    created_at: datetime


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: SessionKind
    occurred_at: AwareDateTime
    contact_id: uuid.UUID | None = None
    duration_minutes: Duration | None = None
    notes: Notes | None = None


class SessionOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    contact_id: uuid.UUID | None
    organisation_id: uuid.UUID
    kind: str
    occurred_at: datetime
    duration_minutes: int | None
    notes: str | None
    recorded_by: uuid.UUID | None
    created_at: datetime


class FamilyDayCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    planned_on: date
    location: Location | None = None
    notes: Notes | None = None


class FamilyDayUpdate(msgspec.Struct, forbid_unknown_fields=True):
    status: FamilyDayStatus | msgspec.UnsetType = msgspec.UNSET
    planned_on: date | msgspec.UnsetType = msgspec.UNSET
    location: Location | msgspec.UnsetType | None = msgspec.UNSET
    notes: Notes | msgspec.UnsetType | None = msgspec.UNSET


class FamilyDayOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    planned_on: date
    location: str | None
    status: str
    notes: str | None
    planned_by: uuid.UUID | None
    # The person's liberation date, so a list shows how close to release each day falls.
    liberation_date: date | None
    created_at: datetime


class DueForFamilyDay(msgspec.Struct):
    """A person due for release soon with no family day planned."""

    person_id: uuid.UUID
    given_name: str
    family_name: str
    prison_number: str | None
    liberation_date: date
