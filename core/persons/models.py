from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, utcnow


class Location(StrEnum):
    IN_CUSTODY = "in_custody"
    IN_COMMUNITY = "in_community"


class Person(TenantScoped, Base):
    """The service user: the seeds' 'person of concern', 'prisoner', 'service user'."""

    __tablename__ = "persons"
    __table_args__ = (
        Index(None, "tenant_id", "sort_name", "id"),
        Index(None, "tenant_id", "prison_number"),
        Index(None, "tenant_id", "nhs_number"),
        Index(None, "tenant_id", "liberation_date"),
    )

    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    # Lower-cased "family given": the caseload's sort key and name-search column.
    sort_name: Mapped[str] = mapped_column(String(201))
    date_of_birth: Mapped[date]
    prison_number: Mapped[str | None] = mapped_column(String(20))
    # NHS number (England and Wales) or CHI number (Scotland): both ten digits, mod 11.
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    location: Mapped[str] = mapped_column(String(20), default=Location.IN_CUSTODY)
    establishment: Mapped[str | None] = mapped_column(String(120))
    reception_date: Mapped[date | None]
    liberation_date: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
