"""Wire types: inputs refuse unknown fields; every 4xx names the field to blame."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from plugins.harm_reduction.models import DrugTestResult, KitType, RepeatReason, Supply, Trainee

Substance = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=r"\S")]
Notes = Annotated[str, msgspec.Meta(max_length=4000)]
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]


class DrugTestCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    tested_at: AwareDateTime
    result: DrugTestResult
    substances: Annotated[list[Substance], msgspec.Meta(max_length=20)] = []
    # The appointment offered with the automatic referral (positive results only);
    # defaults to 10:00 on the next working day.
    appointment_at: AwareDateTime | None = None


class DrugTestOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    tested_at: datetime
    result: str
    substances: list[str]
    referral_id: uuid.UUID | None
    recorded_by: uuid.UUID | None
    created_at: datetime
    # From the referral, when there is one: the appointment offered and what was decided.
    offered_appointment_at: datetime | None = None
    referral_decision: str | None = None


class OfferDeclined(msgspec.Struct, forbid_unknown_fields=True):
    notes: Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S")] | None = None


class TrainingCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    trained_at: AwareDateTime
    trainee: Trainee = Trainee.PERSON
    notes: Notes | None = None


class TrainingOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    trained_at: datetime
    trainee: str
    notes: str | None
    recorded_by: uuid.UUID | None
    created_at: datetime


class SupplyCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    supplied_at: AwareDateTime
    kit_type: KitType
    supply: Supply
    repeat_reason: RepeatReason | None = None  # required for a repeat supply
    notes: Notes | None = None


class SupplyOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    supplied_at: datetime
    kit_type: str
    supply: str
    repeat_reason: str | None
    notes: str | None
    recorded_by: uuid.UUID | None
    created_at: datetime


class AtRisk(msgspec.Struct):
    """Someone in the first two weeks after release, when overdose is most likely."""

    person_id: uuid.UUID
    given_name: str
    family_name: str
    prison_number: str | None
    liberation_date: date
    risk_until: date
    has_naloxone: bool


class HarmReductionSummary(msgspec.Struct):
    person_id: uuid.UUID
    # Health (None where the viewer may not read health): the overdose-risk flag and naloxone.
    overdose_risk: bool | None
    risk_until: date | None
    naloxone_kits: int | None
    last_naloxone_supply: datetime | None
    trained: bool | None
    # Substance use (None where the viewer may not read it): the drug tests.
    last_test_at: datetime | None
    last_test_result: str | None
    positive_tests: int | None
    # Categories of this summary withheld from the viewer, named so the gap is plain.
    restricted: list[str]
