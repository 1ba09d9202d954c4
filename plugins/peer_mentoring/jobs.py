"""Peer mentoring's jobs: thin wrappers over its services, run by the worker (or in process)."""

from __future__ import annotations

import uuid
from typing import Any

from core.tenancy.models import Tenant
from plugins.peer_mentoring.common import PLUGIN
from plugins.peer_mentoring.gate import sync_gate_appointment


async def peer_mentoring_gate_appointment(
    ctx: dict[str, Any], *, tenant_id: str, person_id: str, **_event: Any
) -> str:
    """Asked for by a ``liberation_date_set`` event; the outbox adds ``tenant_id``.
    Idempotent (see :func:`sync_gate_appointment`); idle for a tenant that has switched
    the plugin off since the event."""
    async with ctx["session_factory"]() as session:
        tenant = await session.get(Tenant, uuid.UUID(tenant_id))
        if tenant is None or PLUGIN not in tenant.plugins:
            return "disabled"
        return await sync_gate_appointment(session, uuid.UUID(tenant_id), uuid.UUID(person_id))
