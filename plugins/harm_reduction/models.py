"""Harm reduction's own tables. Every row carries ``tenant_id`` first, like core's."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk


class DrugTestResult(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"  # a confirmed positive: it refers the person automatically
    REFUSED = "refused"


class KitType(StrEnum):
    NASAL = "nasal"
    INTRAMUSCULAR = "intramuscular"


class Supply(StrEnum):
    FIRST = "first"
    REPEAT = "repeat"


class RepeatReason(StrEnum):
    USED = "used"  # used on an overdose: the reason a kit exists
    LOST = "lost"
    CONFISCATED = "confiscated"
    EXPIRED = "expired"
    DAMAGED = "damaged"
    OTHER = "other"


class Trainee(StrEnum):
    PERSON = "person"
    FAMILY_MEMBER = "family_member"  # "agreed family members and/or carers" (specification)
    CARER = "carer"


class DrugTest(TenantScoped, Base):
    __tablename__ = "drug_tests"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("organisations", "organisation_id"),
        tenant_fk("referrals", "referral_id"),
        Index(None, "tenant_id", "person_id", "tested_at"),
    )

    person_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    tested_at: Mapped[datetime]
    result: Mapped[str] = mapped_column(String(20))
    substances: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The automatic referral a positive result made (core's referral, source
    # positive_drug_test); a declined offer is recorded on it.
    referral_id: Mapped[uuid.UUID | None]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class NaloxoneTraining(TenantScoped, Base):
    __tablename__ = "naloxone_trainings"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "trained_at"),
    )

    person_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    trained_at: Mapped[datetime]
    trainee: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class NaloxoneSupply(TenantScoped, Base):
    __tablename__ = "naloxone_supplies"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "person_id", "supplied_at"),
    )

    person_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    supplied_at: Mapped[datetime]
    kit_type: Mapped[str] = mapped_column(String(20))
    supply: Mapped[str] = mapped_column(String(10))
    repeat_reason: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


MODELS: tuple[type[Base], ...] = (DrugTest, NaloxoneTraining, NaloxoneSupply)
