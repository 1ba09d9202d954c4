"""The sharing engine's tables: protocol versions, who works with whom, break-glass."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow


def caseload_key(*owner: str, covering: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A viewer's caseload in name order: one index range per organisation, user or kind.

    ``covering`` columns ride at the end so a filter on them is read from the index alone.
    """
    return ("tenant_id", *owner, "sort_name", "person_id", *covering)


def sort_name_copy() -> Mapped[str]:
    """The person's ``sort_name``, copied by database triggers (migration 0005).

    A scoped caseload page then walks the viewer's own index range in name order instead
    of every person in the partnership. Never written by the application.
    """
    return mapped_column(String(201), server_default="")


class ProtocolVersion(Base):
    """One published version of a partnership's protocol; older versions are kept."""

    __tablename__ = "protocol_versions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Casbin policy lines, one per line, as the lead wrote them (comments kept).
    rules: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonOrganisation(Base):
    """An organisation works with a person: the ``own_organisation`` scope, as an index."""

    __tablename__ = "person_organisations"
    __table_args__ = (
        tenant_fk("persons", "person_id", ondelete="CASCADE"),
        tenant_fk("organisations", "organisation_id", ondelete="CASCADE"),
        Index(None, "tenant_id", "person_id"),
        Index("ix_person_organisations_caseload", *caseload_key("organisation_id")),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # On what basis: "episode_lead", "referral_accepted", "registered", "plan_handover".
    reason: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    sort_name: Mapped[str] = sort_name_copy()
    # The decision that made the relation: who (no key, so it outlives the account) and
    # why in their words. Null only for relations derived from bulk-loaded data.
    decided_by: Mapped[uuid.UUID | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class PersonAssignment(Base):
    """A user is key worker for, or allocated to, a person: the ``assigned`` scope."""

    __tablename__ = "person_assignments"
    __table_args__ = (
        tenant_fk("persons", "person_id", ondelete="CASCADE"),
        Index(None, "tenant_id", "person_id"),
        Index("ix_person_assignments_caseload", *caseload_key("user_id")),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    sort_name: Mapped[str] = sort_name_copy()
    # The decision that made the relation: who (no key, so it outlives the account) and
    # why in their words. Null only for relations derived from bulk-loaded data.
    decided_by: Mapped[uuid.UUID | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class BreakGlassGrant(TenantScoped, Base):
    """Emergency read access to one category of one person that the protocol withholds."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (
        tenant_fk("persons", "person_id", ondelete="CASCADE"),
        Index("ix_break_glass_grants_active", "tenant_id", "user_id", "person_id", "category"),
        Index(None, "tenant_id", "reviewed_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    person_id: Mapped[uuid.UUID]
    category: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
