"""The housing sub-group's tables: one record per person, and the history of its steps."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow


class Status(StrEnum):
    """Where a person's housing registration stands; the pipeline order matters."""

    NOT_STARTED = "not_started"
    APPLICATION_SUBMITTED = "application_submitted"
    REGISTERED = "registered"
    OFFER_MADE = "offer_made"
    ACCOMMODATION_SECURED = "accommodation_secured"
    # Left custody with nowhere to stay: recorded at (or after) liberation only.
    NO_FIXED_ABODE = "no_fixed_abode"


class RegistrationRule(StrEnum):
    """A local authority's rule, from the tenant file (``housing_registration``)."""

    BEFORE_LIBERATION = "before_liberation"
    # Some authorities register nobody before liberation (Low Moss): the application
    # becomes a liberation-day action.
    ON_LIBERATION_DAY = "on_liberation_day"


class HousingRecord(TenantScoped, Base):
    """One person's housing work ahead of (and through) liberation."""

    __tablename__ = "housing_records"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("organisations", "local_authority_id"),
        UniqueConstraint("tenant_id", "person_id"),
        Index(None, "tenant_id", "local_authority_id"),
    )

    person_id: Mapped[uuid.UUID]
    # An organisation of kind local_authority in the same tenant.
    local_authority_id: Mapped[uuid.UUID | None]
    needs: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(32), default=Status.NOT_STARTED)
    status_on: Mapped[date]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HousingStep(TenantScoped, Base):
    """One move along the pipeline: what, on which date, and who acted."""

    __tablename__ = "housing_steps"
    __table_args__ = (
        tenant_fk("housing_records", "record_id", ondelete="CASCADE"),
        tenant_fk("organisations", "organisation_id"),
        Index(None, "tenant_id", "record_id", "created_at"),
    )

    record_id: Mapped[uuid.UUID]
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    on_date: Mapped[date]
    acted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The acting member's organisation; None when a job opened the record.
    organisation_id: Mapped[uuid.UUID | None]
    note: Mapped[str | None] = mapped_column(String(500))
