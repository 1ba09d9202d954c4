"""The outbox against the real Redis: a burst worker runs what a transaction requested; a
worker killed mid-job loses nothing and doubles nothing; a request made while Redis is down
succeeds, and the sweep hands its job on once Redis is back."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import msgspec
import pluggy
from arq.connections import ArqRedis, create_pool
from arq.connections import RedisSettings as ArqRedisSettings
from arq.constants import default_queue_name
from arq.worker import Worker
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.engine import make_engine, make_session_factory
from core.jobs.inprocess import JobsPlugin
from core.jobs.models import OutboxEntry
from core.jobs.outbox import (
    SWEEP_AFTER,
    Dispatcher,
    enqueue,
    reset_dispatcher,
    set_dispatcher,
    sweep_outbox,
)
from core.jobs.worker import serializers, worker_options
from core.notifications.models import Notification
from core.plugins import build_plugin_manager
from core.server import ThroughcarePlugin
from core.settings import PROJECT_ROOT, RedisSettings, Settings
from tests.core.test_jobs_testplugin import NAME

# The killed worker's job holds arq's in-progress lock for this + 10 s; keep it short.
JOB_TIMEOUT = 5


def with_redis(settings: Settings, url: str) -> Settings:
    return msgspec.structs.replace(settings, redis=RedisSettings(url=url))


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    return build_plugin_manager(extra=(NAME,))


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(settings.db)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def arq_pool(url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(ArqRedisSettings.from_dsn(url), **serializers())
    try:
        await pool.flushdb()  # this test's own Redis database only
        yield pool
    finally:
        await pool.aclose()


async def run_burst_worker(settings: Settings) -> None:
    options = worker_options(settings, plugin_manager(), job_timeout=JOB_TIMEOUT)
    worker = Worker(**{**options, "cron_jobs": []}, burst=True, poll_delay=0.05)
    try:
        await worker.main()
    finally:
        await worker.close()


async def outbox_rows(factory: async_sessionmaker[AsyncSession]) -> list[OutboxEntry]:
    async with factory() as session:
        return list((await session.scalars(select(OutboxEntry))).all())


async def markers(factory: async_sessionmaker[AsyncSession], key: str) -> int:
    async with factory() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Notification).where(Notification.key == key)
            )
            or 0
        )


async def request_marker(
    factory: async_sessionmaker[AsyncSession],
    world: Any,
    dispatcher: Dispatcher | None,
    key: str,
    **args: Any,
) -> None:
    """What a request does: enqueue in its transaction, with the app's dispatcher current."""
    token = set_dispatcher(dispatcher)
    try:
        async with factory() as session:
            for _ in range(2):  # the same request twice is one job
                await enqueue(
                    session,
                    world.tenants["low-moss"].id,
                    "record_marker",
                    f"marker:{key}",
                    {"user_id": str(world.users["lm_worker"].id), "key": key, **args},
                )
            await session.commit()
    finally:
        reset_dispatcher(token)


async def test_a_committed_request_is_dispatched_and_run_by_a_burst_worker(world, redis_url):
    settings = with_redis(world.settings, redis_url)
    async with database(settings) as factory, arq_pool(redis_url) as pool:
        dispatcher = Dispatcher(factory, redis_url=redis_url)
        await request_marker(factory, world, dispatcher, "burst")
        await dispatcher.close()  # waits for the hand-on started by the commit

        [row] = await outbox_rows(factory)
        assert row.dispatched_at is not None and row.finished_at is None
        # arq's job id is the outbox id: it holds exactly this one job.
        assert await pool.zrange(default_queue_name, 0, -1) == [str(row.id).encode()]
        assert await markers(factory, "burst") == 0

        await run_burst_worker(settings)

        [row] = await outbox_rows(factory)
        assert row.finished_at is not None and row.attempts == 1 and row.last_error is None
        assert await markers(factory, "burst") == 1


async def test_a_rolled_back_request_never_reaches_arq(world, redis_url):
    settings = with_redis(world.settings, redis_url)
    async with database(settings) as factory, arq_pool(redis_url) as pool:
        dispatcher = Dispatcher(factory, redis_url=redis_url)
        token = set_dispatcher(dispatcher)
        try:
            async with factory() as session:
                await enqueue(session, world.tenants["low-moss"].id, "record_marker", "k", {})
                await session.rollback()
        finally:
            reset_dispatcher(token)
        await dispatcher.close()
        assert await outbox_rows(factory) == []
        assert await pool.zcard(default_queue_name) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_worker_killed_mid_job_loses_nothing_and_doubles_nothing(world, redis_url):
    settings = with_redis(world.settings, redis_url)
    async with database(settings) as factory, arq_pool(redis_url):
        dispatcher = Dispatcher(factory, redis_url=redis_url)
        # The first try pauses after its effect is committed: that is where it is killed.
        await request_marker(factory, world, dispatcher, "killed", pause=JOB_TIMEOUT - 1)
        await dispatcher.close()

        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            NAME,
            settings.db.url,
            redis_url,
            cwd=PROJECT_ROOT,
            env=os.environ.copy(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            for _ in range(300):
                if await markers(factory, "killed") or worker.returncode is not None:
                    break
                await asyncio.sleep(0.05)
            assert worker.returncode is None, await worker.stderr.read() if worker.stderr else ""
            assert await markers(factory, "killed") == 1
            worker.send_signal(signal.SIGKILL)
        finally:
            if worker.returncode is None:
                worker.kill()
            await asyncio.wait_for(worker.wait(), timeout=10)
        assert worker.returncode == -signal.SIGKILL

        [row] = await outbox_rows(factory)
        assert row.finished_at is None and row.attempts == 1  # effect done, row not finished

        # A new worker: arq hands it the job once the dead worker's lock expires.
        await asyncio.wait_for(run_burst_worker(settings), timeout=JOB_TIMEOUT + 30)

        [row] = await outbox_rows(factory)
        assert row.finished_at is not None and row.attempts == 2  # not lost: it ran again
        assert await markers(factory, "killed") == 1  # not doubled: the job is idempotent


async def test_redis_down_during_a_request_and_the_sweep_dispatches_once_it_is_back(
    world, redis_url
):
    # The dispatcher's Redis is down for the whole request: nothing listens on this port.
    # (Only the dispatcher's: the app's session store on that Redis would fail every request.)
    down = with_redis(world.settings, f"redis://127.0.0.1:{free_port()}/11")
    pm = plugin_manager()
    app = Litestar(plugins=[ThroughcarePlugin(world.settings, pm), JobsPlugin(down, pm)])
    async with AsyncTestClient(app=app) as client:
        response = await client.post(
            "/api/v1/t/low-moss/test-jobs/while-down", headers=world.auth("lm_worker")
        )
        assert response.status_code == 201, response.text
    # The app's shutdown waited for its hand-on, which failed quietly.

    settings = with_redis(world.settings, redis_url)
    async with database(settings) as factory, arq_pool(redis_url) as pool:
        [row] = await outbox_rows(factory)
        assert row.dispatched_at is None and row.finished_at is None
        assert await markers(factory, "while-down") == 0

        # Redis is back: the worker's sweep (an arq cron) hands the row on, once.
        ctx = {"redis": pool, "session_factory": factory}
        assert await sweep_outbox(ctx) == 1
        assert await sweep_outbox(ctx) == 0  # handed on a moment ago: left alone
        await run_burst_worker(settings)

        [row] = await outbox_rows(factory)
        assert row.finished_at is not None and row.attempts == 1
        assert await markers(factory, "while-down") == 1


async def test_the_sweep_hands_on_again_a_row_arq_lost(world, redis_url):
    settings = with_redis(world.settings, redis_url)
    async with database(settings) as factory, arq_pool(redis_url) as pool:
        dispatcher = Dispatcher(factory, redis_url=redis_url)
        await request_marker(factory, world, dispatcher, "lost")
        await dispatcher.close()
        await pool.flushdb()  # Redis lost everything (it keeps nothing on disk here)

        ctx = {"redis": pool, "session_factory": factory}
        assert await sweep_outbox(ctx) == 0  # handed on recently: not yet stale
        [row] = await outbox_rows(factory)
        async with factory() as session:
            stale = await session.get(OutboxEntry, (row.tenant_id, row.id))
            assert stale is not None and stale.dispatched_at is not None
            stale.dispatched_at -= SWEEP_AFTER + timedelta(minutes=1)
            await session.commit()
        assert await sweep_outbox(ctx) == 1
        await run_burst_worker(settings)
        assert await markers(factory, "lost") == 1
        assert (await outbox_rows(factory))[0].finished_at is not None


async def test_a_schedule_firing_runs_once_per_tenant_in_the_worker(world, redis_url, monkeypatch):
    # One firing minute for both calls below, whatever the real clock does meanwhile.
    minute = datetime(2026, 3, 11, 7, 5, tzinfo=UTC)
    monkeypatch.setattr("core.jobs.worker.utcnow", lambda: minute)
    settings = with_redis(world.settings, redis_url)
    options = worker_options(settings, plugin_manager(), job_timeout=JOB_TIMEOUT)
    name = "schedule:core.jobs.reminders:remind_liberation"
    [fire] = [c.coroutine for c in options["cron_jobs"] if c.name == name]
    async with database(settings) as factory, arq_pool(redis_url) as pool:
        ctx = {"redis": pool, "session_factory": factory}
        assert await fire(ctx) == len(world.tenants)
        assert await fire(ctx) == 0  # the same minute again: the same rows, not new ones
        assert await pool.zcard(default_queue_name) == len(world.tenants)
        await run_burst_worker(settings)
        done = await outbox_rows(factory)
        assert {r.tenant_id for r in done} == {t.id for t in world.tenants.values()}
        assert all(r.finished_at is not None and r.job == "remind_liberation" for r in done)
