"""Peer mentoring's own tables. Every row carries ``tenant_id`` first, like core's."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow


class VettingStatus(StrEnum):
    PENDING = "pending"
    CLEARED = "cleared"
    LAPSED = "lapsed"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    MISSED = "missed"
    CANCELLED = "cancelled"


class SessionSetting(StrEnum):
    PRISON = "prison"
    COMMUNITY = "community"


class GateStatus(StrEnum):
    SCHEDULED = "scheduled"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Mentor(TenantScoped, Base):
    """A peer mentor: a member of the partnership (``user_id``) or a named volunteer."""

    __tablename__ = "mentors"
    __table_args__ = (
        tenant_fk("organisations", "organisation_id"),
        UniqueConstraint("tenant_id", "user_id"),
        Index(None, "tenant_id", "name", "id"),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID]
    lived_experience: Mapped[bool] = mapped_column(default=False)
    vetting_status: Mapped[str] = mapped_column(String(20), default=VettingStatus.PENDING)
    vetted_on: Mapped[date | None]
    availability: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MentorMatch(TenantScoped, Base):
    """A mentor matched with a person, from ``started_on`` until ``ended_on``."""

    __tablename__ = "mentor_matches"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("mentors", "mentor_id"),
        Index(None, "tenant_id", "person_id", "started_on"),
        Index(None, "tenant_id", "mentor_id"),
    )

    person_id: Mapped[uuid.UUID]
    mentor_id: Mapped[uuid.UUID]
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(500))
    matched_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class MentoringSession(TenantScoped, Base):
    """A mentoring session, planned ahead or logged after."""

    __tablename__ = "mentoring_sessions"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("mentors", "mentor_id"),
        Index(None, "tenant_id", "person_id", "starts_at"),
        Index(None, "tenant_id", "starts_at", "id"),
    )

    person_id: Mapped[uuid.UUID]
    mentor_id: Mapped[uuid.UUID]
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    setting: Mapped[str] = mapped_column(String(20))
    duration_minutes: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class GateAppointment(TenantScoped, Base):
    """'Met at the gate': made, moved and cancelled by a job as the liberation date changes."""

    __tablename__ = "gate_appointments"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("mentors", "mentor_id"),
        Index(None, "tenant_id", "person_id", "status"),
        Index(None, "tenant_id", "meet_at", "id"),
    )

    person_id: Mapped[uuid.UUID]
    mentor_id: Mapped[uuid.UUID | None]
    liberation_date: Mapped[date]
    meet_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=GateStatus.SCHEDULED)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


MODELS: tuple[type[Base], ...] = (Mentor, MentorMatch, MentoringSession, GateAppointment)
