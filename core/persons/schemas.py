from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.persons.models import Location

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
PrisonNumber = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9/-]{1,20}$")]
NhsNumber = Annotated[str, msgspec.Meta(pattern=r"^\d{10}$")]
Establishment = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]

_SPACES = re.compile(r"\s+")


def nhs_number_valid(number: str) -> bool:
    """NHS (England/Wales) and CHI (Scotland) numbers share the modulus-11 check digit."""
    digits = [int(c) for c in number]
    remainder = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


class PersonCreate(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Name
    family_name: Name
    date_of_birth: date
    prison_number: PrisonNumber | None = None
    nhs_number: NhsNumber | None = None
    location: Location = Location.IN_CUSTODY
    establishment: Establishment | None = None
    reception_date: date | None = None
    liberation_date: date | None = None


class PersonUpdate(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Name | msgspec.UnsetType = msgspec.UNSET
    family_name: Name | msgspec.UnsetType = msgspec.UNSET
    date_of_birth: date | msgspec.UnsetType = msgspec.UNSET
    prison_number: PrisonNumber | msgspec.UnsetType | None = msgspec.UNSET
    nhs_number: NhsNumber | msgspec.UnsetType | None = msgspec.UNSET
    location: Location | msgspec.UnsetType = msgspec.UNSET
    establishment: Establishment | msgspec.UnsetType | None = msgspec.UNSET
    reception_date: date | msgspec.UnsetType | None = msgspec.UNSET
    liberation_date: date | msgspec.UnsetType | None = msgspec.UNSET


class PersonOut(msgspec.Struct):
    id: uuid.UUID
    given_name: str
    family_name: str
    date_of_birth: date
    prison_number: str | None
    nhs_number: str | None
    # Custody fields are null when custody is not shared with the viewer.
    location: str | None
    establishment: str | None
    reception_date: date | None
    liberation_date: date | None
    created_at: datetime
    updated_at: datetime
    # The categories of this person's record the viewer may read, and those withheld.
    readable: list[str] = []
    restricted: list[str] = []


class PersonSummary(msgspec.Struct):
    """One person of a list, built only by core.authz.fields.project: a field whose
    category is not shared with the viewer is null and named in ``withheld``."""

    id: uuid.UUID
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    prison_number: str | None
    location: str | None
    liberation_date: date | None
    withheld: list[str] = []


def clean_name(value: str) -> str:
    return _SPACES.sub(" ", value).strip()
