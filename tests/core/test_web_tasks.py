"""My tasks and the record's assessment tag: tasks name their person (only for a reader who
may see identity), carry one due date with the tag, and close themselves when the work they
ask for is recorded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.models import AuditEvent
from core.authz.models import BreakGlassGrant
from core.db.engine import make_engine, make_session_factory
from core.jobs import reminders
from core.notifications.models import Notification
from core.notifications.resolve import close_settled
from core.notifications.services import notify
from core.referrals.models import Referral
from tests.core.test_web import LM, PAGES, add_person, sign_in


@asynccontextmanager
async def db(world: Any) -> AsyncIterator[AsyncSession]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def refer(world: Any, person_id: str, **extra: Any) -> dict[str, Any]:
    response = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": person_id, "source": "self", **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def task_for(
    world: Any, username: str, key: str, person_id: str | None, due: date | None, **kw: Any
) -> None:
    async with db(world) as session:
        await notify(
            session,
            world.tenants["low-moss"].id,
            [world.users[username].id],
            kind=kw.get("kind", "assessment_overdue"),
            title=kw.get("title", "Initial assessment overdue"),
            link=None,
            key=key,
            due_date=due,
            person_id=uuid.UUID(person_id) if person_id else None,
        )
        await session.commit()


async def open_keys(world: Any, username: str) -> set[str]:
    async with db(world) as session:
        rows = await session.scalars(
            select(Notification.key).where(
                Notification.user_id == world.users[username].id, Notification.done_at.is_(None)
            )
        )
        return set(rows)


async def test_tasks_name_the_person_only_for_a_reader_of_identity(world: Any) -> None:
    person = await add_person(world, "Isla", "Tasknamed", "N100001")
    today = clock.today()
    await task_for(world, "lm_worker", "named", person, today - timedelta(days=3))
    await task_for(world, "lm_analyst", "named", person, today - timedelta(days=3))

    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/tasks")
    assert page.status_code == 200
    assert "Initial assessment overdue: Isla Tasknamed" in page.text
    assert (today - timedelta(days=3)).strftime("%B %Y") in page.text
    api = await world.get("lm_worker", f"{LM}/tasks")
    assert api.json()["items"][0]["person_name"] == "Isla Tasknamed"
    # Naming people is reading them: the list is audited as a read of persons.
    async with db(world) as session:
        events = await session.scalars(
            select(AuditEvent).where(
                AuditEvent.user_id == world.users["lm_worker"].id,
                AuditEvent.record_type == "person",
                AuditEvent.action == "list",
            )
        )
        # One for the page, one for the API call.
        assert [e.detail["via"] for e in events].count("tasks") == 2

    # The analyst reads no identity: the task stays generic, in the API as on the page.
    assert (await world.get("lm_analyst", f"{LM}/tasks")).json()["items"][0]["person_name"] is None
    world.client.cookies.clear()
    await sign_in(world, "lm_analyst")
    theirs = await world.client.get(f"{PAGES}/tasks")
    assert "Initial assessment overdue" in theirs.text
    assert "Tasknamed" not in theirs.text


async def test_tasks_sort_most_urgent_first(world: Any) -> None:
    person = await add_person(world, "Urgent", "Order", "N100002")
    today = clock.today()
    await task_for(world, "lm_worker", "later", person, today + timedelta(days=9), title="Later")
    await task_for(world, "lm_worker", "undated", person, None, title="Undated")
    await task_for(world, "lm_worker", "oldest", person, today - timedelta(days=9), title="Oldest")
    items = (await world.get("lm_worker", f"{LM}/tasks")).json()["items"]
    assert [t["title"] for t in items] == ["Oldest", "Later", "Undated"]
    assert [t["overdue"] for t in items] == [True, False, False]


async def test_assessment_task_closes_itself_when_the_assessment_is_recorded(world: Any) -> None:
    person = await add_person(world, "Closes", "Itself", "N100003")
    referral = await refer(world, person)
    key = f"assessment-overdue:{referral['id']}"
    await task_for(
        world, "lm_worker", key, person, date.fromisoformat(referral["assessment_due_on"])
    )
    assert key in await open_keys(world, "lm_worker")

    made = await world.post(
        "lm_worker",
        f"{LM}/assessments",
        {"person_id": person, "kind": "comprehensive", "referral_id": referral["id"]},
    )
    assert made.status_code == 201, made.text
    # Reading the list closes it: no reminder run is needed in between.
    items = (await world.get("lm_worker", f"{LM}/tasks")).json()["items"]
    assert key not in {t["title"] for t in items} and items == []
    done = (await world.get("lm_worker", f"{LM}/tasks", params={"done": "true"})).json()["items"]
    assert len(done) == 1 and done[0]["done_at"] is not None


async def test_due_today_gives_way_to_overdue_and_a_new_referral_supersedes(world: Any) -> None:
    person = await add_person(world, "Super", "Seded", "N100004")
    old = await refer(world, person, received_at="2026-01-05T10:00:00Z")
    due = f"assessment-due:{old['id']}"
    overdue = f"assessment-overdue:{old['id']}"
    await task_for(world, "lm_worker", due, person, None, kind="assessment_due")
    await task_for(world, "lm_worker", overdue, person, None)
    async with db(world) as session:
        await close_settled(session, world.tenants["low-moss"].id)
        await session.commit()
    assert await open_keys(world, "lm_worker") == {overdue}

    await refer(world, person)  # a new referral asks for a new assessment
    async with db(world) as session:
        assert await close_settled(session, world.tenants["low-moss"].id) == 1
        await session.commit()
    assert await open_keys(world, "lm_worker") == set()


async def test_plan_action_review_and_break_glass_tasks_close_when_done(world: Any) -> None:
    from core.outcomes.models import DOMAINS, OutcomeReview
    from core.plans.models import PlanAction, RecoveryPlan

    person = await add_person(world, "Three", "Kinds", "N100005")
    episode_id = uuid.UUID((await refer(world, person))["episode_id"])
    pid = uuid.UUID(person)
    tenant = world.tenants["low-moss"].id
    org = uuid.UUID(world.org_id("low-moss", "turning-point-scotland"))
    async with db(world) as session:
        plan = RecoveryPlan(tenant_id=tenant, person_id=pid, episode_id=episode_id)
        session.add(plan)
        await session.flush()
        action = PlanAction(
            tenant_id=tenant, plan_id=plan.id, description="Book GP", owner_organisation_id=org
        )
        grant = BreakGlassGrant(
            tenant_id=tenant,
            user_id=world.users["lm_sacro"].id,
            person_id=pid,
            category="health",
            reason="urgent",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        session.add_all([action, grant])
        await session.commit()
        keys = [
            f"plan-action:{action.id}:None",
            f"break-glass:{grant.id}",
            f"outcome-review:{pid}:first",
        ]
        action_id, grant_id = action.id, grant.id
    for key in keys:
        await task_for(world, "lm_worker", key, person, None, kind="k", title="t")
    async with db(world) as session:
        assert await close_settled(session, tenant) == 0  # nothing is done yet
        await session.execute(
            update(PlanAction)
            .where(PlanAction.id == action_id)
            .values(completed_at=datetime.now(UTC))
        )
        await session.execute(
            update(BreakGlassGrant)
            .where(BreakGlassGrant.id == grant_id)
            .values(reviewed_at=datetime.now(UTC))
        )
        session.add(
            OutcomeReview(
                tenant_id=tenant,
                person_id=pid,
                organisation_id=org,
                reviewed_on=clock.today(),
                setting="custody",
                **{d: 3 for d in DOMAINS},
            )
        )
        await session.commit()
    async with db(world) as session:
        assert await close_settled(session, tenant) == 3
        await session.commit()
    assert await open_keys(world, "lm_worker") == set()


async def test_the_reminder_run_closes_settled_tasks(world: Any) -> None:
    person = await add_person(world, "Job", "Closes", "N100006")
    referral = await refer(world, person)
    key = f"assessment-overdue:{referral['id']}"
    await task_for(world, "lm_worker", key, person, None)
    async with db(world) as session:
        await session.execute(
            update(Referral)
            .where(Referral.id == uuid.UUID(referral["id"]))
            .values(decision="declined")
        )
        await session.commit()
    engine = make_engine(world.settings.db)
    try:
        ctx = {"session_factory": make_session_factory(engine)}
        await reminders.remind_assessments(ctx, str(world.tenants["low-moss"].id))
    finally:
        await engine.dispose()
    assert key not in await open_keys(world, "lm_worker")


async def test_record_tag_shows_the_year_overdue_and_goes_once_assessed(world: Any) -> None:
    person = await add_person(world, "Tag", "Year", "N100007")
    first = await refer(world, person)
    await sign_in(world, "lm_worker")
    due = date.fromisoformat(first["assessment_due_on"])
    record = await world.client.get(f"{PAGES}/persons/{person}")
    assert f"Initial assessment due {due.day} {due:%B %Y}" in record.text

    past = clock.today() - timedelta(days=20)
    async with db(world) as session:
        await session.execute(
            update(Referral)
            .where(Referral.id == uuid.UUID(first["id"]))
            .values(assessment_due_on=past)
        )
        await session.commit()
    record = await world.client.get(f"{PAGES}/persons/{person}")
    assert f"Initial assessment overdue (due {past.day} {past:%B %Y})" in record.text

    # A new referral moves the tag to its own due date; recording its assessment clears it.
    second = await refer(world, person)
    new_due = date.fromisoformat(second["assessment_due_on"])
    record = await world.client.get(f"{PAGES}/persons/{person}")
    assert f"Initial assessment due {new_due.day} {new_due:%B %Y}" in record.text
    assert "overdue (due" not in record.text
    made = await world.post(
        "lm_worker",
        f"{LM}/assessments",
        {"person_id": person, "kind": "comprehensive", "referral_id": second["id"]},
    )
    assert made.status_code == 201, made.text
    record = await world.client.get(f"{PAGES}/persons/{person}")
    assert "Initial assessment due" not in record.text
    assert "Initial assessment overdue" not in record.text
