from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.meetings.models import MeetingKind

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=10_000)]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
Reason = Annotated[str, msgspec.Meta(max_length=2_000)]


class MeetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: MeetingKind = MeetingKind.DAILY
    held_on: date | None = None  # today when not given
    title: Title | None = None


class Escalation(msgspec.Struct, forbid_unknown_fields=True):
    """An escalation: why (required, kept on the complex-case meeting and in the audit),
    and optionally when the complex-case meeting is held and its title."""

    reason: Reason | None = None  # absent or blank is refused by the service, by field
    held_on: date | None = None
    title: Title | None = None


class AttendeeCreate(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: uuid.UUID
    name: Name
    user_id: uuid.UUID | None = None


class ItemCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    reason: Text | None = None
    discussion: Text | None = None
    outcome: Text | None = None


class ItemUpdate(msgspec.Struct, forbid_unknown_fields=True):
    discussion: Text | msgspec.UnsetType | None = msgspec.UNSET
    outcome: Text | msgspec.UnsetType | None = msgspec.UNSET


class ActionCreate(msgspec.Struct, forbid_unknown_fields=True):
    description: Description
    owner_organisation_id: uuid.UUID
    owner_user_id: uuid.UUID | None = None
    due_on: date | None = None
    item_id: uuid.UUID | None = None


class ActionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    completed: bool | msgspec.UnsetType = msgspec.UNSET
    due_on: date | msgspec.UnsetType | None = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET


class AttendeeOut(msgspec.Struct):
    id: uuid.UUID
    meeting_id: uuid.UUID
    organisation_id: uuid.UUID
    user_id: uuid.UUID | None
    name: str
    created_at: datetime


class ItemOut(msgspec.Struct):
    id: uuid.UUID
    meeting_id: uuid.UUID
    person_id: uuid.UUID
    reason: str | None
    discussion: str | None
    outcome: str | None
    escalated: bool
    created_at: datetime
    # Whether the viewer may change what is recorded about the person (the write check's
    # own decision), so a page offers the forms only when they can be sent.
    writable: bool = True


class ActionOut(msgspec.Struct):
    id: uuid.UUID
    meeting_id: uuid.UUID
    item_id: uuid.UUID | None
    description: str
    owner_organisation_id: uuid.UUID
    owner_user_id: uuid.UUID | None
    due_on: date | None
    completed_at: datetime | None
    created_at: datetime
    owner_organisation_name: str | None = None
    owner_user_name: str | None = None  # the named owner, when there is one
    # Whether the viewer may mark it done (the write check's decision for its person).
    writable: bool = True


class MeetingSummary(msgspec.Struct):
    id: uuid.UUID
    kind: str
    held_on: date
    title: str
    chair_id: uuid.UUID | None
    closed_at: datetime | None
    escalated_from_meeting_id: uuid.UUID | None
    escalated_person_id: uuid.UUID | None
    created_at: datetime
    escalation_reason: str | None = None  # withheld with the person it is about


class MeetingOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    held_on: date
    title: str
    chair_id: uuid.UUID | None
    notes: str | None
    closed_at: datetime | None
    escalated_from_meeting_id: uuid.UUID | None
    escalated_person_id: uuid.UUID | None
    created_at: datetime
    escalation_reason: str | None
    attendees: list[AttendeeOut]
    # Only the people the viewer may read the case notes of; the rest are counted, so the
    # page can say "2 people discussed are not shared with your organisation".
    items: list[ItemOut]
    actions: list[ActionOut]
    withheld_items: int = 0
    withheld_actions: int = 0  # actions about a withheld item


class AgendaReason(msgspec.Struct):
    """Why a person is suggested: a new referral, a declined offer to review, or an open
    action from an earlier meeting."""

    why: str  # "referral" | "declined_offer" | "open_action"
    record_id: uuid.UUID  # the referral's or the action's id
    referral_source: str | None = None
    received_at: datetime | None = None
    decided_at: datetime | None = None  # when a declined offer was declined
    meeting_id: uuid.UUID | None = None
    held_on: date | None = None
    description: str | None = None
    due_on: date | None = None
    owner_organisation_id: uuid.UUID | None = None
    owner_organisation_name: str | None = None
    owner_user_id: uuid.UUID | None = None
    owner_user_name: str | None = None
    writable: bool = True  # whether the viewer may mark the action done


class AgendaEntry(msgspec.Struct):
    person_id: uuid.UUID
    given_name: str
    family_name: str
    prison_number: str | None
    reasons: list[AgendaReason]


class Agenda(msgspec.Struct):
    date: date
    previous_meeting_id: uuid.UUID | None
    previous_held_on: date | None
    referrals_since: datetime
    persons: list[AgendaEntry]
    # People who would be on the agenda but whose case notes are not shared with the viewer.
    withheld: int = 0
