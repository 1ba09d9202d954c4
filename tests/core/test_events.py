"""Domain events: a plugin's reaction becomes an outbox job in the change's transaction, only
for tenants that switched the plugin on, and the job runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import msgspec
import pluggy
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts.models import User
from core.app import create_app
from core.authz.actor import Actor, CurrentUser, resolve_actor
from core.db.engine import make_engine, make_session_factory
from core.events import publish
from core.jobs.models import OutboxEntry
from core.jobs.outbox import run_pending
from core.jobs.worker import job_context
from core.notifications.models import Notification
from core.plugins import build_plugin_manager, get_plugin_manager
from tests.core import test_jobs_testplugin as reactions

PLUGIN = "test_reactions"


@pytest.fixture
def pm() -> Iterator[pluggy.PluginManager]:
    """The process's plugin manager, with the test plugin registered for this test only."""
    manager = get_plugin_manager()
    manager.register(reactions, name=PLUGIN)
    try:
        yield manager
    finally:
        manager.unregister(name=PLUGIN)


@asynccontextmanager
async def database(world) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(world.settings.db)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


async def actor_for(session: AsyncSession, user: User, tenant: str, *plugins: str) -> Actor:
    current = CurrentUser(user.id, user.username, user.display_name, False)
    actor = await resolve_actor(session, current, tenant)
    assert actor is not None
    # The tenant file decides which plugins are on; the test switches its own on or off here.
    return msgspec.structs.replace(actor, enabled_plugins=(*actor.enabled_plugins, *plugins))


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_reaction_is_enqueued_in_the_same_transaction_and_runs(world, pm):
    async with database(world) as factory:
        async with factory() as session:
            actor = await actor_for(session, world.users["lm_worker"], "low-moss", PLUGIN)
            await publish(session, actor, "referral_created", data={"referral_id": "r1"})
            await publish(session, actor, "referral_created")  # same key: still one job
            await session.rollback()  # the change failed: its jobs go with it
            assert await count(session, OutboxEntry) == 0

            await publish(session, actor, "referral_created")
            await publish(session, actor, "referral_created")
            await session.commit()
            [entry] = (await session.scalars(select(OutboxEntry))).all()
            assert entry.job == "record_marker"
            assert entry.tenant_id == world.tenants["low-moss"].id

        ctx = job_context(world.settings, pm, factory)
        assert await run_pending(ctx) == 1
        assert await run_pending(ctx) == 0  # finished: not run again
        async with factory() as session:
            [task] = (await session.scalars(select(Notification))).all()
            assert task.user_id == world.users["lm_worker"].id
            assert task.kind == reactions.MARKER_KIND


async def test_a_plugin_the_tenant_has_not_switched_on_is_not_asked(world, pm):
    async with database(world) as factory, factory() as session:
        actor = await actor_for(session, world.users["lm_worker"], "low-moss")
        assert PLUGIN not in actor.enabled_plugins
        await publish(session, actor, "referral_created")
        await session.commit()
        assert await count(session, OutboxEntry) == 0


async def test_an_unknown_event_is_refused(world, pm):
    async with database(world) as factory, factory() as session:
        actor = await actor_for(session, world.users["lm_worker"], "low-moss", PLUGIN)
        with pytest.raises(ValueError, match="unknown domain event 'referral_made'"):
            await publish(session, actor, "referral_made")


async def test_a_request_asks_its_own_apps_plugin_manager(world, settings):
    """No global: the app built with this manager is the one whose plugins answer."""
    manager = build_plugin_manager(extra=(reactions.NAME,))
    async with AsyncTestClient(app=create_app(settings, plugin_manager=manager)) as client:
        response = await client.post(
            "/api/v1/t/low-moss/test-events", headers=world.auth("lm_lead")
        )
        assert response.status_code == 201, response.text
    async with database(world) as factory, factory() as session:
        [entry] = (await session.scalars(select(OutboxEntry))).all()
        assert entry.key == f"reacted:referral_created:{world.users['lm_lead'].id}"
