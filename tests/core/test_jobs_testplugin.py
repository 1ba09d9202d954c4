"""A plugin used by the job tests: one job, a route that requests it, and an event reaction.

Also the entry point of the worker subprocess that the kill test starts and kills:
``python -m tests.core.test_jobs_testplugin <database url> <redis url>``.
No tests here; pytest collects nothing from this module.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import msgspec
from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.actor import Actor
from core.events import publish
from core.hookspecs import hookimpl
from core.hooktypes import DomainEvent, JobRequest
from core.jobs.outbox import enqueue
from core.notifications.services import notify

NAME = "tests.core.test_jobs_testplugin"
MARKER_KIND = "test_marker"


async def record_marker(
    ctx: dict[str, Any], tenant_id: str, user_id: str, key: str, pause: float = 0.0
) -> int:
    """The side effect is a task keyed by ``key``. On arq's first try a pause follows the
    committed effect: a worker killed in it has done the effect but not finished the row."""
    async with ctx["session_factory"]() as session:
        created = await notify(
            session,
            uuid.UUID(tenant_id),
            [uuid.UUID(user_id)],
            kind=MARKER_KIND,
            title="Test marker",
            link=None,
            key=key,
        )
        await session.commit()
    if ctx.get("job_try", 1) == 1:
        await asyncio.sleep(pause)
    return created


@post("/api/v1/t/{tenant:str}/test-jobs/{key:str}", summary="test only")
async def request_marker(
    key: FromPath[str], db_session: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> dict[str, str]:
    await enqueue(
        db_session,
        actor.tenant_id,
        "record_marker",
        f"marker:{key}",
        {"user_id": str(actor.user_id), "key": key},
    )
    await db_session.commit()
    return {"status": "requested"}


@post("/api/v1/t/{tenant:str}/test-events", summary="test only")
async def publish_referral_created(
    db_session: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> dict[str, str]:
    # This plugin is in no tenant file: it switches itself on for the request's tenant.
    actor = msgspec.structs.replace(actor, enabled_plugins=(*actor.enabled_plugins, NAME))
    await publish(db_session, actor, "referral_created", data={"test": "yes"})
    await db_session.commit()
    return {"status": "published"}


@hookimpl
def register_jobs() -> list[Any]:
    return [record_marker]


@hookimpl
def register_routes() -> list[Any]:
    return [request_marker, publish_referral_created]


@hookimpl
def on_domain_event(event: DomainEvent) -> list[JobRequest]:
    if event.name != "referral_created" or event.actor_user_id is None:
        return []
    key = f"reacted:{event.name}:{event.actor_user_id}"
    return [
        JobRequest(
            job="record_marker", key=key, args={"user_id": str(event.actor_user_id), "key": key}
        )
    ]


def main(database_url: str, redis_url: str) -> None:
    """A worker with this plugin and a short job timeout, so a killed job is retried soon."""
    from arq.worker import Worker

    from core.jobs.worker import worker_options
    from core.plugins import build_plugin_manager
    from tests.conftest import make_settings
    from tests.core.test_jobs_redis import JOB_TIMEOUT, with_redis

    settings = with_redis(make_settings(database_url, Path(tempfile.gettempdir())), redis_url)
    options = worker_options(settings, build_plugin_manager(extra=(NAME,)), job_timeout=JOB_TIMEOUT)
    Worker(**{**options, "cron_jobs": []}, poll_delay=0.05).run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
