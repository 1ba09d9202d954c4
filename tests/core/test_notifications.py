"""Notifications and "my tasks": notify is idempotent by key, the list is each user's own,
due and overdue first and paginated, and marking done is audited and answers only its owner."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.notifications.models import Notification
from core.notifications.services import notify

TASKS = "/api/v1/t/low-moss/tasks"


@asynccontextmanager
async def db(world) -> AsyncIterator[AsyncSession]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def add_task(world, username: str, key: str, due: date | None, tenant: str = "low-moss"):
    async with db(world) as session:
        created = await notify(
            session,
            world.tenants[tenant].id,
            [world.users[username].id],
            kind="test",
            title=f"Task {key}",
            link=f"/t/{tenant}/tasks",
            key=key,
            due_date=due,
        )
        await session.commit()
    return created


async def test_notify_is_idempotent_by_key_per_user(world):
    tenant = world.tenants["low-moss"].id
    users = [world.users["lm_worker"].id, world.users["lm_lead"].id]
    async with db(world) as session:
        kw = {"kind": "k", "title": "Comprehensive assessment overdue", "link": None, "key": "a"}
        assert await notify(session, tenant, users, **kw) == 2
        assert await notify(session, tenant, users, **kw) == 0
        assert await notify(session, tenant, [*users, world.users["lm_sacro"].id], **kw) == 1
        await session.commit()
        rows = (await session.scalars(select(Notification))).all()
    assert len(rows) == 3 and {r.key for r in rows} == {"a"}


async def test_my_tasks_overdue_and_due_first_then_undated_and_only_mine(world):
    today = clock.today()
    await add_task(world, "lm_worker", "later", today + timedelta(days=5))
    await add_task(world, "lm_worker", "undated", None)
    await add_task(world, "lm_worker", "overdue", today - timedelta(days=2))
    await add_task(world, "lm_worker", "today", today)
    await add_task(world, "lm_sacro", "not-mine", today - timedelta(days=9))
    await add_task(world, "lc_worker", "other-tenant", today, tenant="leicester")

    response = await world.get("lm_worker", TASKS)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["title"] for i in items] == [
        "Task overdue",
        "Task today",
        "Task later",
        "Task undated",
    ]
    assert [i["overdue"] for i in items] == [True, False, False, False]
    assert items[0]["due_date"] == (today - timedelta(days=2)).isoformat()
    # The other tenant's list is not reachable through this one, nor this one through it.
    assert (await world.get("lc_worker", TASKS)).status_code == 404


async def test_tasks_paginate_by_cursor_without_gaps_or_repeats(world):
    today = clock.today()
    for n in range(7):
        await add_task(world, "lm_worker", f"t{n}", today + timedelta(days=n % 3) if n else None)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await world.get("lm_worker", TASKS, params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    full = (await world.get("lm_worker", TASKS, params={"limit": 50})).json()["items"]
    assert seen == [i["id"] for i in full] and len(seen) == 7
    bad = await world.get("lm_worker", TASKS, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and "cursor" in bad.text
    assert (await world.get("lm_worker", TASKS, params={"limit": 0})).status_code == 400


async def test_marking_done_is_mine_only_idempotent_and_audited(world):
    await add_task(world, "lm_worker", "x", clock.today())
    [task] = (await world.get("lm_worker", TASKS)).json()["items"]

    # Another member's task is as absent as a task that does not exist.
    assert (await world.post("lm_sacro", f"{TASKS}/{task['id']}/done")).status_code == 404
    assert (await world.post("lm_worker", f"{TASKS}/{uuid.uuid4()}/done")).status_code == 404

    done = await world.post("lm_worker", f"{TASKS}/{task['id']}/done")
    assert done.status_code == 200, done.text
    assert done.json()["done_at"] is not None
    again = await world.post("lm_worker", f"{TASKS}/{task['id']}/done")
    assert again.json()["done_at"] == done.json()["done_at"]

    assert (await world.get("lm_worker", TASKS)).json()["items"] == []
    finished = (await world.get("lm_worker", TASKS, params={"done": "true"})).json()["items"]
    assert [t["id"] for t in finished] == [task["id"]]

    async with db(world) as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.record_type == "task", AuditEvent.action == "update"
                )
            )
        ).all()
    assert [(e.user_id, str(e.record_id)) for e in events] == [
        (world.users["lm_worker"].id, task["id"])
    ]


async def test_overdue_follows_the_moved_clock(world):
    await add_task(world, "lm_worker", "x", clock.today() + timedelta(days=3))
    assert (await world.get("lm_worker", TASKS)).json()["items"][0]["overdue"] is False
    with clock.moved(timedelta(days=4)):
        assert (await world.get("lm_worker", TASKS)).json()["items"][0]["overdue"] is True
