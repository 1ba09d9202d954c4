from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow

# Who receives a summary: the Offender Manager in probation, or the prison's offender
# management unit.
RECIPIENT_KINDS = ("probation", "prison")


class SummarySending(TenantScoped, Base):
    __tablename__ = "summary_sendings"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        tenant_fk("episodes", "episode_id"),
        tenant_fk("organisations", "organisation_id"),
        tenant_fk("organisations", "recipient_organisation_id"),
        Index(None, "tenant_id", "person_id", "sent_at"),
    )

    person_id: Mapped[uuid.UUID]
    episode_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID]
    recipient_organisation_id: Mapped[uuid.UUID]
    # The Offender Manager by name, as the sender knows them.
    recipient_name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_sha256: Mapped[str] = mapped_column(String(64))
    sent_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
