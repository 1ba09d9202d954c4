"""An example third-party plugin: a finance-advice partner.

It adds the ``finance`` sharing category, one route under the tenant's prefix, and a
reaction to ``person_released`` whose job leaves an audit event. It talks to core only
through the hooks and core's public services, like the built-in plugins.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import get
from litestar.di import NamedDependency

from core.audit.services import record
from core.authz.actor import Actor
from core.hookspecs import hookimpl
from core.hooktypes import DomainEvent, JobRequest
from core.plugins import require_plugin

NAME = "example"


@get("/api/v1/t/{tenant:str}/example/hello", tags=["example"], summary="Example plugin route")
async def hello(actor: NamedDependency[Actor]) -> dict[str, str]:
    require_plugin(actor, NAME)
    return {"hello": actor.tenant_slug, "category": "finance"}


async def example_released(ctx: dict[str, Any], *, tenant_id: str, person_id: str) -> str:
    """Leave a trace that the reaction ran, once per person (idempotent)."""
    from sqlalchemy import select

    from core.audit.models import AuditEvent

    tid, pid = uuid.UUID(tenant_id), uuid.UUID(person_id)
    async with ctx["session_factory"]() as session:
        done = await session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.tenant_id == tid,
                AuditEvent.person_id == pid,
                AuditEvent.record_type == "example_release",
            )
        )
        if done is not None:
            return "exists"
        record(session, None, "create", "example_release", person_id=pid, tenant_id=tid)
        await session.commit()
    return "created"


@hookimpl
def register_routes() -> list[Any]:
    return [hello]


@hookimpl
def register_sharing_categories() -> list[str]:
    return ["finance"]


@hookimpl
def register_jobs() -> list[Any]:
    return [example_released]


@hookimpl
def on_domain_event(event: DomainEvent) -> list[JobRequest]:
    if event.name != "person_released" or event.person_id is None:
        return []
    return [
        JobRequest(
            job="example_released",
            key=f"example-released:{event.person_id}",
            args={"person_id": str(event.person_id)},
        )
    ]
