from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from core.consents.models import LawfulBasis
from core.tenancy.models import OrganisationKind

# A category's spelling is checked against the app's vocabulary (plugins add categories).
Category = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
# At least one non-space character.
Purpose = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S")]
# A naive time is refused: every time in Throughcare is UTC-aware.
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class ConsentCreate(msgspec.Struct, forbid_unknown_fields=True):
    category: Category
    purpose: Purpose
    lawful_basis: LawfulBasis
    # Exactly one of these two: a named partner, or every partner of a kind.
    recipient_organisation_id: uuid.UUID | None = None
    recipient_kind: OrganisationKind | None = None
    given_at: AwareDateTime | None = None  # defaults to now
    expires_at: AwareDateTime | None = None


class ConsentWithdraw(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | None = None


class ConsentWithdrawal(msgspec.Struct, forbid_unknown_fields=True):
    """Withdrawal from the record page, where the reason is required: the record shows it."""

    reason: Reason


class ConsentOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    category: str
    recipient_organisation_id: uuid.UUID | None
    recipient_kind: str | None
    purpose: str
    lawful_basis: str
    given_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    recorded_by: uuid.UUID | None
    withdrawn_by: uuid.UUID | None
    withdrawal_reason: str | None
    created_at: datetime
    active: bool  # not withdrawn and not expired, at the time of the answer
