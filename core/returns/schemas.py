"""Wire types for a person's return details. An update names only what it changes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.returns.models import Ethnicity, Injecting, LegalStatus, Sex, Substance, YesNo

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
Authority = Annotated[str, msgspec.Meta(min_length=2, max_length=120)]


class ReturnDetailsUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    sex: Sex | Unset | None = UNSET
    ethnicity: Ethnicity | Unset | None = UNSET
    disability: YesNo | Unset | None = UNSET
    pregnant: YesNo | Unset | None = UNSET
    parental_responsibility: YesNo | Unset | None = UNSET
    local_authority: Authority | Unset | None = UNSET
    legal_status: LegalStatus | Unset | None = UNSET
    conditional_release_date: date | Unset | None = UNSET
    hdc_eligibility_date: date | Unset | None = UNSET
    parole_eligibility_date: date | Unset | None = UNSET
    problem_substance_1: Substance | Unset | None = UNSET
    problem_substance_2: Substance | Unset | None = UNSET
    problem_substance_3: Substance | Unset | None = UNSET
    injecting: Injecting | Unset | None = UNSET


class ReturnDetailsOut(msgspec.Struct):
    person_id: uuid.UUID
    sex: str | None
    ethnicity: str | None
    disability: str | None
    pregnant: str | None
    parental_responsibility: str | None
    local_authority: str | None
    legal_status: str | None
    conditional_release_date: date | None
    hdc_eligibility_date: date | None
    parole_eligibility_date: date | None
    problem_substance_1: str | None
    problem_substance_2: str | None
    problem_substance_3: str | None
    injecting: str | None
    updated_at: datetime | None
    # Fields this viewer may not read: null above, named here.
    withheld: list[str]
