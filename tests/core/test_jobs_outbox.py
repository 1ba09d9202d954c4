"""The outbox without Redis: running a row, failures and their limit, scheduled fan-out per
tenant, the in-process runner (off in tests unless asked for), and the controllable clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pluggy
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.app import create_app
from core.db.engine import make_engine, make_session_factory
from core.episodes.models import Episode
from core.hookspecs import hookimpl
from core.hooktypes import Schedule
from core.jobs.inprocess import InProcessRunner, JobsPlugin, schedule_matches
from core.jobs.models import OutboxEntry
from core.jobs.outbox import MAX_ATTEMPTS, enqueue, run_outbox_job, run_pending
from core.jobs.reminders import REMINDER_JOBS
from core.jobs.worker import (
    collect_jobs,
    collect_schedules,
    fan_out,
    job_context,
    tenants_with,
)
from core.notifications.models import Notification
from core.persons.models import Person
from core.plugins import build_plugin_manager
from core.server import ThroughcarePlugin
from tests.core import test_jobs_testplugin as testplugin
from tests.core.test_jobs_testplugin import MARKER_KIND, NAME


@pytest.fixture
async def factory(world) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(world.settings.db)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def pm() -> pluggy.PluginManager:
    return build_plugin_manager(extra=(NAME,))


async def rows(factory: async_sessionmaker[AsyncSession]) -> list[OutboxEntry]:
    async with factory() as session:
        return list((await session.scalars(select(OutboxEntry))).all())


async def count(factory: async_sessionmaker[AsyncSession], model: type, **where: Any) -> int:
    async with factory() as session:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(await session.scalar(stmt) or 0)


async def add(factory, world, job: str, outbox_key: str, **args: Any) -> None:
    async with factory() as session:
        await enqueue(session, world.tenants["low-moss"].id, job, outbox_key, args)
        await session.commit()


# --- one row -----------------------------------------------------------------------------


async def test_a_row_runs_once_and_is_marked_finished(world, factory, pm):
    user = str(world.users["lm_worker"].id)
    await add(factory, world, "record_marker", "m", user_id=user, key="m")
    await add(factory, world, "record_marker", "m", user_id=user, key="other")  # same key: no-op
    [row] = await rows(factory)
    assert row.args == {"user_id": user, "key": "m"} and row.attempts == 0

    ctx = job_context(world.settings, pm, factory)
    assert await run_outbox_job(ctx, str(row.tenant_id), str(row.id)) == "finished"
    assert await run_outbox_job(ctx, str(row.tenant_id), str(row.id)) == "skipped"
    [row] = await rows(factory)
    assert row.finished_at is not None and row.attempts == 1
    assert await count(factory, Notification, kind=MARKER_KIND) == 1
    # A finished key is still taken: the same request later does not run the job again.
    await add(factory, world, "record_marker", "m", user_id=user, key="m")
    assert len(await rows(factory)) == 1


async def test_a_failing_job_keeps_its_error_and_stops_after_the_limit(world, factory, pm):
    await add(factory, world, "record_marker", "bad", unexpected="argument")
    await add(factory, world, "no_such_job", "ghost")
    ctx = job_context(world.settings, pm, factory)
    for _ in range(MAX_ATTEMPTS + 2):
        assert await run_pending(ctx) == 0
    by_key = {r.key: r for r in await rows(factory)}
    bad, ghost = by_key["bad"], by_key["ghost"]
    assert bad.finished_at is None and bad.attempts == MAX_ATTEMPTS
    assert bad.last_error is not None and bad.last_error.startswith("TypeError")
    assert ghost.finished_at is None and ghost.attempts == MAX_ATTEMPTS
    assert ghost.last_error == "no job named 'no_such_job' is registered"


# --- schedules ---------------------------------------------------------------------------


def test_schedule_matching_follows_arqs_fields():
    at = datetime(2026, 3, 11, 7, 5, tzinfo=UTC)  # a Wednesday: weekday 2
    assert schedule_matches(Schedule(job="j", minute=5), at)
    assert not schedule_matches(Schedule(job="j", minute=6), at)
    assert schedule_matches(Schedule(job="j", hour={6, 7}, minute={5, 35}, weekday=2), at)
    assert not schedule_matches(Schedule(job="j", hour=7, minute=5, weekday=0), at)
    assert schedule_matches(Schedule(job="j", day=11, month=3, minute=None), at)


class Misconfigured:
    @hookimpl
    def register_schedules(self) -> list[Schedule]:
        return [Schedule(job="not_a_job", minute=0)]


class Twice:
    @hookimpl
    def register_jobs(self) -> list[Any]:
        return [testplugin.record_marker]


def test_a_schedule_naming_no_job_and_a_job_named_twice_fail_at_start(pm):
    pm.register(Misconfigured(), name="misconfigured")
    with pytest.raises(RuntimeError, match="'misconfigured' schedules 'not_a_job'"):
        collect_schedules(pm)
    pm.unregister(name="misconfigured")
    pm.register(Twice(), name="twice")
    with pytest.raises(RuntimeError, match="'record_marker' is registered twice"):
        collect_jobs(pm)


async def test_fan_out_writes_one_row_per_tenant_that_has_the_plugin_on(world, factory, pm):
    ctx = job_context(world.settings, pm, factory)
    async with factory() as session:
        everyone = {t.slug for t in await tenants_with(session, "core.jobs.reminders")}
        families = {t.slug for t in await tenants_with(session, "family_support")}
    assert everyone == set(world.tenants)  # core's own: every active tenant
    assert families == {"low-moss", "leicester"}  # HMP Perth has not switched it on

    ids = await fan_out(ctx, "family_support", "remind_liberation", "20260311T0705")
    again = await fan_out(ctx, "family_support", "remind_liberation", "20260311T0705")
    assert len(ids) == 2 and again == []  # the same firing twice is one row per tenant
    assert {r.key for r in await rows(factory)} == {"schedule:remind_liberation:20260311T0705"}


# --- the in-process runner ---------------------------------------------------------------


async def test_the_runner_fires_every_schedule_on_start_then_only_what_is_due(world, factory, pm):
    tenant = world.tenants["low-moss"].id
    async with factory() as session:
        person = Person(
            tenant_id=tenant,
            given_name="Jo",
            family_name="Gate",
            sort_name="gate jo",
            date_of_birth=date(1991, 2, 3),
            liberation_date=clock.today() + timedelta(days=1),
        )
        session.add(person)
        await session.flush()
        session.add(Episode(tenant_id=tenant, person_id=person.id, phase="pre_liberation"))
        await session.commit()

    runner = InProcessRunner(job_context(world.settings, pm, factory), pm)
    start = datetime(2026, 3, 11, 7, 2, tzinfo=UTC)
    # Start: every schedule once for each tenant that has its plugin on, all run to the end.
    ran = await runner.turn(start)
    assert ran == len(await rows(factory)) >= len(REMINDER_JOBS) * len(world.tenants)
    assert all(r.finished_at is not None for r in await rows(factory))
    # The countdown told low-moss's lead (the episode has no key worker), once.
    assert await count(factory, Notification, title="Liberation tomorrow") == 1
    # 07:03 and 07:04: nothing is scheduled; 07:05: the hourly reminders fire again.
    assert await runner.turn(start + timedelta(minutes=2)) == 0
    assert await runner.turn(start + timedelta(minutes=3)) >= len(REMINDER_JOBS) * 3
    assert await count(factory, Notification, title="Liberation tomorrow") == 1


async def test_the_runner_is_off_in_tests_unless_asked_for(world):
    async with AsyncTestClient(app=create_app(world.settings)) as client:
        assert client.app.state.jobs_runner is None


async def test_the_app_runs_a_committed_request_in_process_at_once(world, factory, pm):
    app = Litestar(
        plugins=[
            ThroughcarePlugin(world.settings, pm),
            # A long tick: only the commit's wake-up can make the job run within the test.
            JobsPlugin(world.settings, pm, run_in_process=True, tick=3600),
        ]
    )
    async with AsyncTestClient(app=app) as client:
        assert client.app.state.jobs_runner is not None
        await asyncio.sleep(0.2)  # the start-up pass
        response = await client.post(
            "/api/v1/t/low-moss/test-jobs/now", headers=world.auth("lm_worker")
        )
        assert response.status_code == 201, response.text
        for _ in range(400):  # the start-up pass runs first; on a busy machine it is slow
            if await count(factory, Notification, key="now"):
                break
            await asyncio.sleep(0.05)
        assert await count(factory, Notification, key="now") == 1
    [row] = [r for r in await rows(factory) if r.key == "marker:now"]
    assert row.finished_at is not None


# --- the clock ---------------------------------------------------------------------------


def test_the_clock_moves_and_comes_back():
    real = clock.today()
    with clock.moved(to=date(2027, 1, 1)):
        assert clock.today() == date(2027, 1, 1)
        with clock.moved(timedelta(days=3)):
            assert clock.today() == real + timedelta(days=3)
        assert clock.today() == date(2027, 1, 1)
    assert clock.today() == real and clock.offset() == timedelta(0)
    with clock.moved(to=datetime(2026, 6, 30, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 7, 1)  # 00:30 BST: already July in the UK
    with pytest.raises(ValueError, match="exactly one"), clock.moved():
        pass
    with pytest.raises(ValueError, match="naive"), clock.moved(to=datetime(2026, 1, 1)):
        pass


def test_start_on_moves_by_whole_days():
    try:
        clock.start_on(date(2030, 5, 17))
        assert clock.today() == date(2030, 5, 17)
        assert clock.offset() % timedelta(days=1) == timedelta(0)
    finally:
        clock.set_offset(timedelta(0))


def test_demo_today_from_the_environment_and_never_in_production(monkeypatch, tmp_path):
    from core.settings import SettingsError, load_settings

    monkeypatch.setenv("THROUGHCARE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("THROUGHCARE_DEMO_TODAY", "2026-12-01")
    assert load_settings().server.demo_today == date(2026, 12, 1)
    monkeypatch.setenv("THROUGHCARE_DEMO_TODAY", "1 Dec")
    with pytest.raises(SettingsError, match="THROUGHCARE_DEMO_TODAY must be a date"):
        load_settings()
    monkeypatch.setenv("THROUGHCARE_DEMO_TODAY", "2026-12-01")
    monkeypatch.setenv("THROUGHCARE_ENV", "production")
    monkeypatch.setenv("THROUGHCARE_SECRET_KEY", "s" * 40)
    with pytest.raises(SettingsError, match="never in production"):
        load_settings()


async def test_a_demo_app_reminds_as_of_its_demo_day(world, factory, pm):
    """`THROUGHCARE_DEMO_TODAY` on the embedded setup: the start-up pass reminds as of that
    day, and the clock is back to real time once the app stops."""
    demo_day = date(2031, 1, 15)
    tenant = world.tenants["low-moss"].id
    async with factory() as session:
        person = Person(
            tenant_id=tenant,
            given_name="Demo",
            family_name="Day",
            sort_name="day demo",
            date_of_birth=date(1991, 2, 3),
            liberation_date=demo_day,
        )
        session.add(person)
        await session.flush()
        session.add(Episode(tenant_id=tenant, person_id=person.id, phase="pre_liberation"))
        await session.commit()
    demo = msgspec.structs.replace(
        world.settings,
        server=msgspec.structs.replace(world.settings.server, demo_today=demo_day),
    )
    app = Litestar(plugins=[ThroughcarePlugin(demo, pm), JobsPlugin(demo, pm, run_in_process=True)])
    async with AsyncTestClient(app=app):
        assert clock.today() == demo_day
        for _ in range(200):
            if await count(factory, Notification, title="Liberation today"):
                break
            await asyncio.sleep(0.05)
    assert await count(factory, Notification, title="Liberation today") == 1
    assert clock.offset() == timedelta(0)
