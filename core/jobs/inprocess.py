"""Jobs inside the web app: the dispatcher for each request, and, with no Redis, the runner.

:class:`JobsPlugin` is a Litestar plugin. For every request it makes the app's plugin manager
and outbox dispatcher current (so ``core.events.publish`` and ``core.jobs.outbox.enqueue``
need no globals). With Redis configured, committed outbox rows go to arq and the worker runs
them. Without Redis (the embedded default), :class:`InProcessRunner` runs the same jobs and
schedules in an asyncio task of the web app, so ``make run`` works end to end. The runner
does not start under ``THROUGHCARE_ENV=test`` unless a test asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pluggy
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Receive, Scope, Send

from core import clock, events
from core.db.base import utcnow
from core.hooktypes import Schedule
from core.jobs.outbox import Dispatcher, reset_dispatcher, run_pending, set_dispatcher
from core.jobs.worker import (
    PLATFORM_SCHEDULES,
    collect_schedules,
    fan_out,
    job_context,
    slot_of,
)
from core.settings import Settings

log = logging.getLogger("throughcare.jobs")

# A runner that was away longer than this does not replay every minute it missed.
MAX_CATCH_UP = timedelta(hours=2)


def _matches(value: int, wanted: int | set[int] | None) -> bool:
    if wanted is None:
        return True
    return value in wanted if isinstance(wanted, set) else value == wanted


def schedule_matches(schedule: Schedule, moment: datetime) -> bool:
    """Whether a cron-like schedule (arq's fields, weekday 0 = Monday) fires at this minute."""
    return (
        _matches(moment.month, schedule.month)
        and _matches(moment.day, schedule.day)
        and _matches(moment.weekday(), schedule.weekday)
        and _matches(moment.hour, schedule.hour)
        and _matches(moment.minute, schedule.minute)
    )


class InProcessRunner:
    """Runs scheduled fan-outs and unfinished outbox rows in this process, every ``tick``.

    On start it fires every schedule once, so a demo started at any hour shows its
    reminders; the keys make that harmless for jobs that already ran.
    """

    def __init__(self, ctx: dict[str, Any], pm: pluggy.PluginManager, tick: float = 30.0) -> None:
        self.ctx = ctx
        self.schedules = collect_schedules(pm, ctx["settings"])
        self.tick = tick
        self._wake = asyncio.Event()
        self._last: datetime | None = None

    def wake(self) -> None:
        self._wake.set()

    def _minutes_since_last(self, now: datetime) -> list[datetime]:
        current = now.replace(second=0, microsecond=0)
        if self._last is None:
            return []
        start = max(self._last + timedelta(minutes=1), current - MAX_CATCH_UP)
        minutes = []
        while start <= current:
            minutes.append(start)
            start += timedelta(minutes=1)
        return minutes

    async def turn(self, now: datetime | None = None) -> int:
        """One pass: fire what is due since the last pass, then run the outbox. Returns how
        many outbox rows finished."""
        now = now or utcnow()
        current = now.replace(second=0, microsecond=0)
        if self._last is None:
            for plugin, schedule in self.schedules:
                await fan_out(self.ctx, plugin, schedule.job, f"start-{slot_of(current)}")
        for minute in self._minutes_since_last(now):
            for plugin, schedule in self.schedules:
                if schedule_matches(schedule, minute):
                    await fan_out(self.ctx, plugin, schedule.job, slot_of(minute))
            for fn, schedule in PLATFORM_SCHEDULES:
                if schedule_matches(schedule, minute):
                    await fn(self.ctx)
        self._last = current
        return await run_pending(self.ctx)

    async def run_forever(self) -> None:
        while True:
            # Cleared before the pass, not after: a commit during the pass wakes the next one.
            self._wake.clear()
            try:
                await self.turn()
            except Exception:
                log.exception("in-process jobs: a pass failed; trying again next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick)


class JobsPlugin(InitPluginProtocol):
    """Added after ``ThroughcarePlugin`` so that its lifespan finds the session factory."""

    def __init__(
        self,
        settings: Settings,
        pm: pluggy.PluginManager,
        *,
        run_in_process: bool | None = None,
        tick: float = 30.0,
    ) -> None:
        self.settings = settings
        self.pm = pm
        if run_in_process is None:
            run_in_process = settings.redis.url is None and settings.server.environment != "test"
        self.run_in_process = run_in_process
        self.tick = tick

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncGenerator[None, None]:
        factory = app.state.session_factory
        offset_before = clock.offset()
        if self.settings.server.demo_today is not None:
            clock.start_on(self.settings.server.demo_today)
        runner: InProcessRunner | None = None
        task: asyncio.Task[None] | None = None
        if self.run_in_process:
            runner = InProcessRunner(
                job_context(self.settings, self.pm, factory), self.pm, self.tick
            )
            task = asyncio.get_running_loop().create_task(runner.run_forever())
        dispatcher = Dispatcher(
            factory,
            redis_url=self.settings.redis.url,
            wake=runner.wake if runner is not None else None,
        )
        app.state.jobs_dispatcher = dispatcher
        app.state.jobs_runner = runner
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await dispatcher.close()
            clock.set_offset(offset_before)

    def _middleware(self, app: ASGIApp) -> ASGIApp:
        pm = self.pm

        async def with_jobs(scope: Scope, receive: Receive, send: Send) -> None:
            dispatcher = getattr(scope["app"].state, "jobs_dispatcher", None)
            pm_token = events.set_plugin_manager(pm)
            dispatcher_token = set_dispatcher(dispatcher)
            try:
                await app(scope, receive, send)
            finally:
                reset_dispatcher(dispatcher_token)
                events.reset_plugin_manager(pm_token)

        return with_jobs

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(self.lifespan)
        app_config.middleware.append(self._middleware)
        return app_config
