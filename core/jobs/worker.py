"""The arq worker, assembled from the jobs that core and plugins contribute."""

from __future__ import annotations

from typing import Any

import msgspec
import pluggy
from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Worker

from core.db.engine import make_engine, make_session_factory
from core.plugins import get_plugin_manager
from core.settings import Settings


def collect_jobs(pm: pluggy.PluginManager) -> list[Any]:
    jobs: dict[str, Any] = {}
    for answer in pm.hook.register_jobs():
        for job in answer:
            if job.__name__ in jobs:
                raise RuntimeError(f"job {job.__name__!r} is registered twice")
            jobs[job.__name__] = job
    return list(jobs.values())


def worker_options(settings: Settings, pm: pluggy.PluginManager | None = None) -> dict[str, Any]:
    assert settings.redis.url, "the worker needs THROUGHCARE_REDIS_URL"
    jobs = collect_jobs(pm or get_plugin_manager())

    async def startup(ctx: dict[str, Any]) -> None:
        engine = make_engine(settings.db)
        ctx["engine"] = engine
        ctx["session_factory"] = make_session_factory(engine)
        ctx["settings"] = settings

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["engine"].dispose()

    by_name = {job.__name__: job for job in jobs}
    cron_jobs = []
    if "purge_dead_tokens" in by_name:
        cron_jobs.append(cron(by_name["purge_dead_tokens"], hour={3}, minute={17}))
    return {
        "functions": jobs,
        "cron_jobs": cron_jobs,
        "redis_settings": RedisSettings.from_dsn(settings.redis.url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "job_serializer": msgspec.msgpack.encode,
        "job_deserializer": msgspec.msgpack.decode,
    }


def run_worker(settings: Settings) -> None:
    Worker(**worker_options(settings)).run()
