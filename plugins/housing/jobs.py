"""The housing plugin's jobs: thin wrappers over its services."""

from __future__ import annotations

import uuid
from typing import Any

from plugins.housing.records import ensure_record


async def ensure_housing_record(
    ctx: dict[str, Any],
    *,
    tenant_id: str,
    person_id: str,
    actor_user_id: str | None = None,
    **_: Any,
) -> str:
    """Give a person with a liberation date a housing record, so they show on the board.

    Idempotent (a second run finds the record); idle for a tenant that has housing off.
    """
    async with ctx["session_factory"]() as session:
        return await ensure_record(
            session,
            uuid.UUID(tenant_id),
            uuid.UUID(person_id),
            reason="liberation date set",
            user_id=uuid.UUID(actor_user_id) if actor_user_id else None,
        )
