"""The arq worker, assembled from the jobs and schedules that core and plugins contribute.

Scheduled jobs do not run straight from arq's cron: each firing writes one outbox row per
active tenant that has the contributing plugin on (keyed by the firing's minute, so a second
firing is a no-op), and those rows run like any other outbox job. So a scheduled run that a
dead worker dropped is picked up by the sweep, and the in-process runner (no Redis) can run
exactly the same thing.
"""

from __future__ import annotations

import logging.config
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pluggy
from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from arq.worker import Worker, func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.db.base import utcnow
from core.db.engine import make_engine, make_session_factory
from core.hooktypes import Schedule
from core.jobs.housekeeping import purge_dead_tokens
from core.jobs.outbox import (
    PENDING_KEY,
    RUN_JOB,
    enqueue,
    hand_to_arq,
    purge_finished_outbox,
    run_outbox_job,
    sweep_outbox,
)
from core.jobs.serialization import serializers
from core.plugins import ESSENTIAL_PLUGINS, get_plugin_manager
from core.settings import Settings
from core.tenancy.models import Tenant

JobFunction = Callable[..., Awaitable[Any]]

# Platform-wide jobs (not per tenant), with their times (UTC).
PLATFORM_SCHEDULES: tuple[tuple[JobFunction, Schedule], ...] = (
    (purge_dead_tokens, Schedule(job="purge_dead_tokens", hour=3, minute=17)),
    (purge_finished_outbox, Schedule(job="purge_finished_outbox", hour=3, minute=27)),
)


# Names core's machinery uses in arq; a plugin's job cannot take them.
RESERVED_JOB_NAMES = frozenset({RUN_JOB, "sweep_outbox", "purge_finished_outbox"})


def collect_jobs(pm: pluggy.PluginManager) -> list[Any]:
    jobs: dict[str, Any] = {}
    for answer in pm.hook.register_jobs():
        for job in answer:
            if job.__name__ in jobs or job.__name__ in RESERVED_JOB_NAMES:
                raise RuntimeError(f"job {job.__name__!r} is registered twice")
            jobs[job.__name__] = job
    return list(jobs.values())


def collect_schedules(
    pm: pluggy.PluginManager, settings: Settings | None = None
) -> list[tuple[str, Schedule]]:
    """(contributing plugin's name, schedule) pairs; a schedule naming no job is an error.

    A job may carry ``enabled_when(settings) -> bool`` (e.g. email needs SMTP): given the
    settings, its schedules are left out when it says no, so nothing fires to do nothing.
    """
    jobs = {job.__name__: job for job in collect_jobs(pm)}
    found: list[tuple[str, Schedule]] = []
    for impl in pm.hook.register_schedules.get_hookimpls():
        for schedule in impl.function() or []:
            if schedule.job not in jobs:
                raise RuntimeError(
                    f"plugin {impl.plugin_name!r} schedules {schedule.job!r}, "
                    "which no plugin registers"
                )
            enabled_when = getattr(jobs[schedule.job], "enabled_when", None)
            if settings is not None and enabled_when is not None and not enabled_when(settings):
                continue
            found.append((impl.plugin_name, schedule))
    return found


def job_context(
    settings: Settings,
    pm: pluggy.PluginManager,
    session_factory: async_sessionmaker[AsyncSession],
) -> dict[str, Any]:
    """What every job finds in ``ctx``, in the worker and in the in-process runner alike."""
    return {
        "settings": settings,
        "session_factory": session_factory,
        "plugin_manager": pm,
        "jobs": {job.__name__: job for job in collect_jobs(pm)},
    }


async def tenants_with(session: AsyncSession, plugin: str) -> list[Tenant]:
    """Active tenants that have ``plugin`` on (every active tenant for core's own)."""
    tenants = (await session.scalars(select(Tenant).where(Tenant.is_active.is_(True)))).all()
    if plugin in ESSENTIAL_PLUGINS:
        return list(tenants)
    return [t for t in tenants if plugin in t.plugins]


def slot_of(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M")


async def fan_out(ctx: dict[str, Any], plugin: str, job: str, slot: str) -> list[Any]:
    """One outbox row per tenant for this firing of ``job``; returns the new rows' ids."""
    async with ctx["session_factory"]() as session:
        for tenant in await tenants_with(session, plugin):
            await enqueue(session, tenant.id, job, f"schedule:{job}:{slot}", {})
        new = list(session.info.get(PENDING_KEY, []))
        await session.commit()
    return new


def _cron_kwargs(schedule: Schedule) -> dict[str, Any]:
    return {
        "hour": schedule.hour,
        "minute": schedule.minute,
        "weekday": schedule.weekday,
        "day": schedule.day,
        "month": schedule.month,
    }


def _schedule_cron(plugin: str, schedule: Schedule) -> CronJob:
    async def fire(ctx: dict[str, Any]) -> int:
        ids = await fan_out(ctx, plugin, schedule.job, slot_of(utcnow()))
        return await hand_to_arq(ctx["redis"], ctx["session_factory"], ids=ids)

    # Also at start-up, as the in-process runner does: a worker started mid-hour (or with a
    # moved demo clock) reminds at once; the keys make it harmless when nothing is new.
    return cron(
        fire,
        name=f"schedule:{plugin}:{schedule.job}",
        run_at_startup=True,
        **_cron_kwargs(schedule),
    )


def worker_options(
    settings: Settings, pm: pluggy.PluginManager | None = None, *, job_timeout: int = 300
) -> dict[str, Any]:
    assert settings.redis.url, "the worker needs THROUGHCARE_REDIS_URL"
    pm = pm or get_plugin_manager()
    jobs = collect_jobs(pm)

    async def startup(ctx: dict[str, Any]) -> None:
        if settings.server.demo_today is not None:
            clock.start_on(settings.server.demo_today)
        engine = make_engine(settings.db)
        ctx["engine"] = engine
        ctx.update(job_context(settings, pm, make_session_factory(engine)))

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["engine"].dispose()

    cron_jobs = [
        cron(sweep_outbox, minute=None, second=0),
        *(cron(fn, **_cron_kwargs(s)) for fn, s in PLATFORM_SCHEDULES),
        *(_schedule_cron(plugin, s) for plugin, s in collect_schedules(pm, settings)),
    ]
    return {
        # An outbox row's result is its effect in the database; keeping none in Redis lets
        # the sweep hand a row on again whenever it is still unfinished.
        "functions": [*jobs, func(run_outbox_job, name=RUN_JOB, keep_result=0)],
        "cron_jobs": cron_jobs,
        "redis_settings": RedisSettings.from_dsn(settings.redis.url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "job_timeout": job_timeout,
        **serializers(),
    }


def run_worker(settings: Settings) -> None:
    from arq.logs import default_log_config

    logging.config.dictConfig(default_log_config(settings.server.log_level == "DEBUG"))
    Worker(**worker_options(settings)).run()
