"""The hourly job that ends memberships whose last day has passed."""

from __future__ import annotations

import uuid
from typing import Any

from core.administration.members import run_due_deactivations


async def end_scheduled_memberships(ctx: dict[str, Any], tenant_id: str) -> int:
    async with ctx["session_factory"]() as session:
        return await run_due_deactivations(session, uuid.UUID(tenant_id))
