"""What a meeting's rows look like on the wire, and the words shared by its services.

A meeting (its date, attendees, actions without a person) is partnership business; what it
says about a person is that person's case notes (``CATEGORY``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from core.meetings.models import (
    CaseMeeting,
    MeetingAction,
    MeetingAttendee,
    MeetingItem,
    MeetingKind,
)
from core.meetings.schemas import ActionOut, AttendeeOut, ItemOut, MeetingSummary
from core.vocabulary import RECORD_CATEGORIES

CATEGORY = RECORD_CATEGORIES["meeting_item"]
REFERRAL_CATEGORY = RECORD_CATEGORIES["referral"]

DEFAULT_TITLES = {
    MeetingKind.DAILY: "Daily meeting",
    MeetingKind.COMPLEX_CASE: "Complex case meeting",
}


def attendee_out(row: MeetingAttendee) -> AttendeeOut:
    return AttendeeOut(
        id=row.id,
        meeting_id=row.meeting_id,
        organisation_id=row.organisation_id,
        user_id=row.user_id,
        name=row.name,
        created_at=row.created_at,
    )


def item_out(row: MeetingItem, writable: bool = True) -> ItemOut:
    return ItemOut(
        id=row.id,
        meeting_id=row.meeting_id,
        person_id=row.person_id,
        reason=row.reason,
        discussion=row.discussion,
        outcome=row.outcome,
        escalated=row.escalated,
        created_at=row.created_at,
        writable=writable,
    )


def action_out(
    row: MeetingAction,
    *,
    organisation_name: str | None = None,
    user_name: str | None = None,
    writable: bool = True,
) -> ActionOut:
    return ActionOut(
        id=row.id,
        meeting_id=row.meeting_id,
        item_id=row.item_id,
        description=row.description,
        owner_organisation_id=row.owner_organisation_id,
        owner_user_id=row.owner_user_id,
        due_on=row.due_on,
        completed_at=row.completed_at,
        created_at=row.created_at,
        owner_organisation_name=organisation_name,
        owner_user_name=user_name,
        writable=writable,
    )


def meeting_summary(row: CaseMeeting, person_readable: bool = True) -> MeetingSummary:
    return MeetingSummary(
        id=row.id,
        kind=row.kind,
        held_on=row.held_on,
        title=row.title,
        chair_id=row.chair_id,
        closed_at=row.closed_at,
        escalated_from_meeting_id=row.escalated_from_meeting_id,
        # Who a complex case is about, and why it was escalated, are withheld like the
        # items about them.
        escalated_person_id=row.escalated_person_id if person_readable else None,
        created_at=row.created_at,
        escalation_reason=row.escalation_reason if person_readable else None,
    )


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
