from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.authz.models import caseload_key, sort_name_copy
from core.db.base import Base, TenantScoped, tenant_fk

# Whether a consent is in force, carried in its caseload indexes.
IN_FORCE = ("withdrawn_at", "given_at", "expires_at")


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    PUBLIC_TASK = "public_task"
    VITAL_INTERESTS = "vital_interests"  # safeguarding


class Consent(TenantScoped, Base):
    """Sharing of one category with one recipient (an organisation, or a kind of them)."""

    __tablename__ = "consents"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("organisations", "recipient_organisation_id"),
        Index(None, "tenant_id", "person_id", "category"),
        # A consent-scoped caseload, in name order: shared with a kind, or with one
        # partner. Whether the consent is in force is read from the index alone.
        Index(
            "ix_consents_caseload_kind",
            *caseload_key("category", "recipient_kind", covering=IN_FORCE),
        ),
        Index(
            "ix_consents_caseload_organisation",
            *caseload_key("category", "recipient_organisation_id", covering=IN_FORCE),
        ),
    )

    person_id: Mapped[uuid.UUID]
    category: Mapped[str] = mapped_column(String(40))
    # Exactly one of these is set: a named partner, or every partner of a kind.
    recipient_organisation_id: Mapped[uuid.UUID | None]
    recipient_kind: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Why it was withdrawn, in the person's or the worker's words: kept with the row, as the
    # record shows it to whoever reads the consent, not only to whoever reads the audit trail.
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    sort_name: Mapped[str] = sort_name_copy()
