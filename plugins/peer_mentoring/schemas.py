"""Wire types: inputs refuse unknown fields; every 4xx names the field to blame."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from plugins.peer_mentoring.models import GateStatus, SessionSetting, SessionStatus, VettingStatus

MentorName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Availability = Annotated[str, msgspec.Meta(max_length=500)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
Duration = Annotated[int, msgspec.Meta(ge=1, le=1440)]
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class MentorCreate(msgspec.Struct, forbid_unknown_fields=True):
    # Exactly one: a member of the partnership, or a named volunteer without a sign-in.
    user_id: uuid.UUID | None = None
    name: MentorName | None = None
    organisation_id: uuid.UUID | None = None  # defaults to the recording partner
    lived_experience: bool = False
    vetting_status: VettingStatus = VettingStatus.PENDING
    vetted_on: date | None = None
    availability: Availability | None = None


class MentorUpdate(msgspec.Struct, forbid_unknown_fields=True):
    lived_experience: bool | msgspec.UnsetType = msgspec.UNSET
    vetting_status: VettingStatus | msgspec.UnsetType = msgspec.UNSET
    vetted_on: date | msgspec.UnsetType | None = msgspec.UNSET
    availability: Availability | msgspec.UnsetType | None = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class MentorOut(msgspec.Struct):
    id: uuid.UUID
    user_id: uuid.UUID | None
    name: str
    organisation_id: uuid.UUID
    lived_experience: bool
    vetting_status: str
    vetted_on: date | None
    availability: str | None
    is_active: bool
    created_at: datetime


class MatchCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    mentor_id: uuid.UUID
    started_on: date | None = None  # defaults to today


class MatchEnd(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason
    ended_on: date | None = None  # defaults to today


class MatchOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    mentor_id: uuid.UUID
    started_on: date
    ended_on: date | None
    end_reason: str | None
    matched_by: uuid.UUID | None
    created_at: datetime


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: AwareDateTime
    status: SessionStatus
    setting: SessionSetting
    mentor_id: uuid.UUID | None = None  # defaults to the person's current mentor
    duration_minutes: Duration | None = None
    notes: Notes | None = None


class SessionOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    mentor_id: uuid.UUID
    starts_at: datetime
    status: str
    setting: str
    duration_minutes: int | None
    notes: str | None
    recorded_by: uuid.UUID | None
    created_at: datetime


class GateAppointmentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    # The date follows the liberation date on its own; people record who and how it went.
    status: GateStatus | msgspec.UnsetType = msgspec.UNSET
    mentor_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET


class GateAppointmentOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    mentor_id: uuid.UUID | None
    liberation_date: date
    meet_at: datetime
    status: str
    created_at: datetime


class ScheduleItem(msgspec.Struct):
    """One upcoming appointment: a gate appointment or a planned session."""

    kind: str  # "gate_appointment" or "session"
    id: uuid.UUID
    person_id: uuid.UUID
    mentor_id: uuid.UUID | None
    starts_at: datetime
