"""Family support's own tables. Every row carries ``tenant_id`` first, like core's."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class Relationship(StrEnum):
    PARENT = "parent"
    PARTNER = "partner"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    CARER = "carer"
    FRIEND = "friend"
    OTHER_RELATIVE = "other_relative"


class SessionKind(StrEnum):
    VISIT = "visit"
    PHONE = "phone"
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"
    FAMILY_DAY = "family_day"


class FamilyDayStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class FamilyContact(TenantScoped, Base):
    """A member of the person's family the partnership may contact, recorded under consent."""

    __tablename__ = "family_contacts"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("consents", "consent_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "created_at"),
    )

    person_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(30))
    # The consent in force when the contact was recorded: the record of why it may be held.
    consent_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class FamilySession(TenantScoped, Base):
    """One piece of family support work with, or about, the person's family."""

    __tablename__ = "family_sessions"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("family_contacts", "contact_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "occurred_at"),
    )

    person_id: Mapped[uuid.UUID]
    contact_id: Mapped[uuid.UUID | None]
    organisation_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    duration_minutes: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class FamilyDay(TenantScoped, Base):
    """A family day planned as release nears (Leicester): the family helps plan the release."""

    __tablename__ = "family_days"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "planned_on", "id"),
        Index(None, "tenant_id", "person_id", "planned_on"),
    )

    person_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    planned_on: Mapped[date]
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=FamilyDayStatus.PLANNED)
    notes: Mapped[str | None] = mapped_column(Text)
    planned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


MODELS: tuple[type[Base], ...] = (FamilyContact, FamilySession, FamilyDay)
