"""Wire types for onward referrals (msgspec; unknown fields refused)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.onward_referrals.models import OnwardService, OnwardStatus, Route

Text = Annotated[str, msgspec.Meta(max_length=2_000)]
Name = Annotated[str, msgspec.Meta(max_length=200)]


class OnwardReferralCreate(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    service: OnwardService
    sent_on: date
    # Required for prison psychology: through the GP or the Offender Management Team.
    route: Route | None = None
    receiving_service: Name | None = None
    reason: Text | None = None
    appointment_on: date | None = None
    episode_id: uuid.UUID | None = None


class OnwardStatusChange(msgspec.Struct, forbid_unknown_fields=True):
    status: OnwardStatus
    on: date
    reason: Text | None = None


class OnwardAppointment(msgspec.Struct, forbid_unknown_fields=True):
    appointment_on: date


class StatusStep(msgspec.Struct):
    status: str
    status_label: str
    on: date
    by: str | None
    reason: str | None


class OnwardReferralOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    episode_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    service: str
    service_label: str
    route: str | None
    receiving_service: str | None
    reason: str | None
    sent_on: date
    status: str
    status_label: str
    status_on: date
    appointment_on: date | None
    history: list[StatusStep]
    created_at: datetime
