from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class MeetingKind(StrEnum):
    DAILY = "daily"
    COMPLEX_CASE = "complex_case"


class CaseMeeting(TenantScoped, Base):
    __tablename__ = "case_meetings"
    __table_args__ = (
        tenant_fk("case_meetings", "escalated_from_meeting_id"),
        tenant_fk("persons", "escalated_person_id"),
        Index(None, "tenant_id", "held_on"),
    )

    kind: Mapped[str] = mapped_column(String(20), default=MeetingKind.DAILY)
    held_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    # A complex case is escalated from a daily meeting to a meeting of its own.
    escalated_from_meeting_id: Mapped[uuid.UUID | None]
    escalated_person_id: Mapped[uuid.UUID | None]
    # Why the daily meeting escalated the case: what was said about the person, so it is
    # read only with their case notes.
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    chair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]


class MeetingAttendee(TenantScoped, Base):
    __tablename__ = "meeting_attendees"
    __table_args__ = (
        tenant_fk("case_meetings", "meeting_id", ondelete="CASCADE"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "meeting_id"),
    )

    meeting_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))


class MeetingItem(TenantScoped, Base):
    """One person discussed: why, what was said, and the outcome."""

    __tablename__ = "meeting_items"
    __table_args__ = (
        tenant_fk("case_meetings", "meeting_id", ondelete="CASCADE"),
        tenant_fk("persons", "person_id"),
        Index(None, "tenant_id", "meeting_id"),
        Index(None, "tenant_id", "person_id"),
    )

    meeting_id: Mapped[uuid.UUID]
    person_id: Mapped[uuid.UUID]
    reason: Mapped[str | None] = mapped_column(Text)
    discussion: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[bool] = mapped_column(default=False)


class MeetingAction(TenantScoped, Base):
    __tablename__ = "meeting_actions"
    __table_args__ = (
        tenant_fk("case_meetings", "meeting_id", ondelete="CASCADE"),
        tenant_fk("meeting_items", "item_id"),
        tenant_fk("organisations", "owner_organisation_id"),
        Index(None, "tenant_id", "meeting_id"),
        Index(None, "tenant_id", "owner_organisation_id", "due_on"),
    )

    meeting_id: Mapped[uuid.UUID]
    item_id: Mapped[uuid.UUID | None]
    description: Mapped[str] = mapped_column(Text)
    owner_organisation_id: Mapped[uuid.UUID]
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None]
    completed_at: Mapped[datetime | None]
