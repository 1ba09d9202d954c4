"""Audit events are written in the caller's transaction: a write and its audit commit together."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

# Imported for its flush listener: every event added here joins its hash chain.
from core.audit import chain as _chain  # noqa: F401
from core.audit.models import AuditEvent
from core.request_id import current_request_id

if TYPE_CHECKING:
    from core.authz.actor import Actor


def record(
    session: AsyncSession,
    actor: Actor | None,
    action: str,
    record_type: str,
    record_id: uuid.UUID | None = None,
    *,
    person_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    rule: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        tenant_id=actor.tenant_id if actor else tenant_id,
        user_id=actor.user_id if actor else user_id,
        organisation_id=actor.organisation_id if actor else None,
        action=action,
        record_type=record_type,
        record_id=record_id,
        person_id=person_id,
        request_id=current_request_id(),
        rule=rule,
        detail=detail or {},
    )
    session.add(event)
    return event
