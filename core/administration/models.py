"""What administration adds to the schema; the accounts and tenancy tables stay as they are.

The secret of an invitation is never stored: a link's token as its SHA-256 (it is long and
random), a temporary password with argon2 (a person may have to type it).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow


class InvitationKind(StrEnum):
    LINK = "link"
    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105 (a kind, not a secret)


class Invitation(TenantScoped, Base):
    """One way in for a new member, used once: they choose their own password with it."""

    __tablename__ = "invitations"
    __table_args__ = (
        tenant_fk("memberships", "membership_id", ondelete="CASCADE"),
        Index(None, "tenant_id", "membership_id"),
        Index(None, "tenant_id", "secret_hash", unique=True),
    )

    membership_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Set when a newer invitation replaces it or the membership ends.
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class OrganisationDeactivation(Base):
    """A partner that has left: no new members are placed in it; its records stay."""

    __tablename__ = "organisation_deactivations"
    __table_args__ = (tenant_fk("organisations", "organisation_id", ondelete="CASCADE"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deactivated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ScheduledDeactivation(Base):
    """A leaver's last day is known: the membership ends at the start of ``deactivate_on``
    (UK date), by the hourly job."""

    __tablename__ = "membership_deactivations"
    __table_args__ = (
        tenant_fk("memberships", "membership_id", ondelete="CASCADE"),
        Index(None, "tenant_id", "deactivate_on"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    membership_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deactivate_on: Mapped[date]
    set_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
