from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

ProtocolText = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000_000)]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]


class ProtocolVersionOut(msgspec.Struct):
    version: int
    reason: str
    created_at: datetime
    created_by: uuid.UUID | None
    rules: str | None = None  # omitted in lists


class ProtocolApprovalWaiting(msgspec.Struct):
    """A publish past the two-person threshold: saved, waiting for a second lead."""

    approval_id: uuid.UUID
    base_version: int
    widening: list[str]
    status: str = "waiting_for_a_second_lead"


class ProtocolPublish(msgspec.Struct, forbid_unknown_fields=True):
    rules: ProtocolText
    reason: Reason


class ProtocolDraft(msgspec.Struct, forbid_unknown_fields=True):
    rules: ProtocolText


class DiffOut(msgspec.Struct):
    from_version: int
    to_version: int
    lines: list[str]


class MatrixCell(msgspec.Struct):
    subject: str  # r:<role> or k:<organisation kind>
    category: str
    action: str
    scope: str
    consent: bool
    users: int  # active members this rule reaches


class MatrixOut(msgspec.Struct):
    version: int
    categories: list[str]
    subjects: list[str]
    cells: list[MatrixCell]


class EffectLine(msgspec.Struct):
    """One (category, action) whose reach the draft changes, counted, not guessed."""

    category: str
    action: str
    users_gaining: int
    organisations_gaining: int
    persons_gained: int
    users_losing: int
    organisations_losing: int
    persons_lost: int
    summary: str


class PreviewOut(msgspec.Struct):
    valid: bool
    problems: list[str]
    effects: list[EffectLine]
    diff: list[str]
    # Lines that are valid but do not do what they may seem to (e.g. a k:<kind> line
    # that does not reach a restricted role's members).
    warnings: list[str] = []


class ExplainOut(msgspec.Struct):
    user_id: uuid.UUID
    person_id: uuid.UUID
    category: str
    action: str
    allowed: bool
    scope: str
    consent_given: bool
    rule: str | None
    reason: str


class BreakGlassRequest(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    reason: Reason
    minutes: Annotated[int, msgspec.Meta(ge=5, le=180)] = 180


class BreakGlassReview(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]


class BreakGlassOut(msgspec.Struct):
    id: uuid.UUID
    user_id: uuid.UUID
    person_id: uuid.UUID
    category: str
    reason: str
    created_at: datetime
    expires_at: datetime
    active: bool
    reviewed_at: datetime | None
    reviewed_by: uuid.UUID | None
    review_note: str | None
