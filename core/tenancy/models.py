from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, new_id, utcnow


class Nation(StrEnum):
    """Decides which bank holidays count when working days are added."""

    SCOTLAND = "scotland"
    ENGLAND = "england"
    WALES = "wales"
    NORTHERN_IRELAND = "northern_ireland"


class OrganisationKind(StrEnum):
    PRISON = "prison"
    NHS = "nhs"
    THIRD_SECTOR = "third_sector"
    LOCAL_AUTHORITY = "local_authority"
    PROBATION = "probation"
    POLICE = "police"


class Tenant(Base):
    """One partnership. Not itself tenant-scoped: it *is* the scope."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nation: Mapped[str] = mapped_column(String(32))
    # Roles, enabled plugins and plugin settings as declared in the tenant file.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The live sharing-protocol version. Read with the actor on every request, so a
    # process whose cached protocol is older reloads it: a lost pub/sub message cannot
    # leave it stale.
    policy_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def roles(self) -> list[str]:
        return list(self.config.get("roles", []))

    @property
    def plugins(self) -> list[str]:
        return list(self.config.get("plugins", []))


class Organisation(TenantScoped, Base):
    """A partner inside a tenant."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"), Index(None, "tenant_id", "kind"))

    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    is_lead: Mapped[bool] = mapped_column(default=False)
    # Kind-specific facts from the tenant file, e.g. a local authority's housing rule.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
