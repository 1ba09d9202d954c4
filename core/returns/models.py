"""A person's return details: one row per person, each field in its sharing category."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, tenant_fk, utcnow

NOT_STATED = "not_stated"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    NOT_STATED = NOT_STATED


class Ethnicity(StrEnum):
    """The 2021 census groups (England and Wales; Scotland's differ only in wording)."""

    WHITE_BRITISH = "white_british"
    WHITE_IRISH = "white_irish"
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller"
    WHITE_ROMA = "white_roma"
    WHITE_OTHER = "white_other"
    MIXED_WHITE_BLACK_CARIBBEAN = "mixed_white_black_caribbean"
    MIXED_WHITE_BLACK_AFRICAN = "mixed_white_black_african"
    MIXED_WHITE_ASIAN = "mixed_white_asian"
    MIXED_OTHER = "mixed_other"
    ASIAN_INDIAN = "asian_indian"
    ASIAN_PAKISTANI = "asian_pakistani"
    ASIAN_BANGLADESHI = "asian_bangladeshi"
    ASIAN_CHINESE = "asian_chinese"
    ASIAN_OTHER = "asian_other"
    BLACK_AFRICAN = "black_african"
    BLACK_CARIBBEAN = "black_caribbean"
    BLACK_OTHER = "black_other"
    ARAB = "arab"
    OTHER = "other"
    NOT_STATED = NOT_STATED


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"
    NOT_STATED = NOT_STATED


class LegalStatus(StrEnum):
    REMAND = "remand"
    CONVICTED = "convicted"
    RECALLED = "recalled"
    NOT_STATED = NOT_STATED


class Injecting(StrEnum):
    NEVER = "never"
    PREVIOUSLY = "previously"
    CURRENTLY = "currently"
    NOT_STATED = NOT_STATED


class Substance(StrEnum):
    HEROIN = "heroin"
    ILLICIT_METHADONE = "illicit_methadone"
    ILLICIT_BUPRENORPHINE = "illicit_buprenorphine"
    CRACK = "crack"
    COCAINE = "cocaine"
    CANNABIS = "cannabis"
    SYNTHETIC_CANNABINOIDS = "synthetic_cannabinoids"  # "spice", psychoactive substances
    BENZODIAZEPINES = "benzodiazepines"
    GABAPENTINOIDS = "gabapentinoids"  # pregabalin, gabapentin
    AMPHETAMINES = "amphetamines"
    KETAMINE = "ketamine"
    ALCOHOL = "alcohol"
    OTHER = "other"


# Field -> sharing category. Equality items are special-category data the treatment
# provider keeps for the returns: health, not identity, so they are not told to everyone
# who may see the person. Legal status and release dates are the justice system's.
RETURN_FIELD_CATEGORIES: dict[str, str] = {
    "sex": "health",
    "ethnicity": "health",
    "disability": "health",
    "pregnant": "health",
    "parental_responsibility": "health",
    "local_authority": "identity",
    "legal_status": "custody",
    "conditional_release_date": "custody",
    "hdc_eligibility_date": "custody",
    "parole_eligibility_date": "custody",
    "problem_substance_1": "substance_use",
    "problem_substance_2": "substance_use",
    "problem_substance_3": "substance_use",
    "injecting": "substance_use",
}


class ReturnDetails(TenantScoped, Base):
    __tablename__ = "person_return_details"
    __table_args__ = (
        tenant_fk("persons", "person_id"),
        UniqueConstraint("tenant_id", "person_id"),
    )

    person_id: Mapped[uuid.UUID]
    sex: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(40))
    disability: Mapped[str | None] = mapped_column(String(20))
    pregnant: Mapped[str | None] = mapped_column(String(20))
    parental_responsibility: Mapped[str | None] = mapped_column(String(20))
    local_authority: Mapped[str | None] = mapped_column(String(120))
    legal_status: Mapped[str | None] = mapped_column(String(20))
    # England: conditional release, home detention curfew and parole eligibility dates.
    # Scotland states the liberation date, which the person's custody record holds.
    conditional_release_date: Mapped[date | None]
    hdc_eligibility_date: Mapped[date | None]
    parole_eligibility_date: Mapped[date | None]
    problem_substance_1: Mapped[str | None] = mapped_column(String(40))
    problem_substance_2: Mapped[str | None] = mapped_column(String(40))
    problem_substance_3: Mapped[str | None] = mapped_column(String(40))
    injecting: Mapped[str | None] = mapped_column(String(20))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
