"""The housing board (order, red/amber/green, authority filter, pages), the reaction to a
liberation date being set, the demo rows, the protocol lines, panel and navigation."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from random import Random

import pytest
from sqlalchemy import func, select

from core import clock
from core.authz.actor import CurrentUser, resolve_actor
from core.authz.protocol import Vocabulary, parse
from core.db.engine import make_engine, make_session_factory
from core.events import publish
from core.hooktypes import DemoContext, DomainEvent
from core.jobs.outbox import run_pending
from core.jobs.worker import job_context
from core.persons.models import Person
from core.plugins import get_plugin_manager, tenant_hook
from core.vocabulary import tenant_categories
from plugins.housing import load_panel, register_protocol_lines
from plugins.housing.demo import load_housing_demo
from plugins.housing.models import HousingRecord, HousingStep, RegistrationRule, Status
from plugins.housing.records import ensure_record
from plugins.housing.rules import PIPELINE, STEP_DAYS, rag, steps_to_go
from tests.plugins.housing_support import (
    HOUSING,
    OFFICER,
    add_member,
    add_officer,
    audit_rows,
    db,
    make_person,
    open_record,
    step,
    uid,
)

BEFORE = RegistrationRule.BEFORE_LIBERATION
ON_DAY = RegistrationRule.ON_LIBERATION_DAY


@pytest.mark.parametrize(
    ("status", "rule", "days_left", "has_needs", "flag"),
    [
        # Before-liberation authority: a fortnight for each step still to go.
        ("not_started", BEFORE, 4 * STEP_DAYS + STEP_DAYS, True, "green"),
        ("not_started", BEFORE, 4 * STEP_DAYS + STEP_DAYS - 1, True, "amber"),
        ("not_started", BEFORE, 4 * STEP_DAYS, True, "amber"),
        ("not_started", BEFORE, 4 * STEP_DAYS - 1, True, "red"),
        ("registered", BEFORE, 2 * STEP_DAYS - 1, True, "red"),
        ("registered", BEFORE, 3 * STEP_DAYS, False, "green"),
        ("offer_made", BEFORE, STEP_DAYS, True, "amber"),
        ("offer_made", BEFORE, 0, True, "red"),
        ("accommodation_secured", BEFORE, 0, False, "green"),
        ("accommodation_secured", BEFORE, -3, False, "green"),
        ("application_submitted", BEFORE, -1, True, "red"),
        ("no_fixed_abode", BEFORE, 0, True, "red"),
        # On-liberation-day authority: nothing can be secured ahead.
        ("not_started", ON_DAY, 80, False, "amber"),
        ("not_started", ON_DAY, 8, False, "amber"),
        ("not_started", ON_DAY, 7, False, "red"),
        ("not_started", ON_DAY, 7, True, "amber"),
        ("application_submitted", ON_DAY, 0, True, "amber"),
        ("accommodation_secured", ON_DAY, 0, False, "green"),
        ("no_fixed_abode", ON_DAY, 0, True, "red"),
    ],
)
def test_rag_rule(status, rule, days_left, has_needs, flag):
    assert rag(status, rule, days_left, has_needs) == flag


def test_steps_to_go_follow_the_pipeline():
    assert [steps_to_go(s) for s in PIPELINE] == [4, 3, 2, 1, 0]
    assert steps_to_go(Status.NO_FIXED_ABODE) == 4


async def _advance(world, person: str, statuses: list[str]) -> None:
    for status in statuses:
        response = await step(world, person, status)
        assert response.status_code == 200, response.text


@pytest.fixture
async def board_world(world):
    """People due out at different distances, at different steps, with both kinds of rule."""
    await add_officer(world)
    today = clock.today()
    people: dict[str, str] = {}

    async def add(key: str, days: int, authority: str | None, statuses: list[str], needs=True):
        person = await make_person(world, today + timedelta(days=days), family_name=key)
        response = await open_record(world, person, authority, "Tenancy" if needs else None)
        assert response.status_code == 201, response.text
        await _advance(world, person, statuses)
        people[key] = person

    await add("far", 100, "glasgow-city-council", [])
    await add("amber", 60, "glasgow-city-council", [])
    await add("late", 30, "glasgow-city-council", [])
    await add(
        "offered", 30, "glasgow-city-council", ["application_submitted", "registered", "offer_made"]
    )
    await add(
        "secured",
        5,
        "glasgow-city-council",
        ["application_submitted", "registered", "offer_made", "accommodation_secured"],
    )
    await add("onday", 20, "east-dunbartonshire-council", [])
    await add("unprepared", 5, "east-dunbartonshire-council", [], needs=False)
    await add("gone", -1, "glasgow-city-council", [])
    # Due out, but with no housing record: not on the board until one is opened.
    people["norecord"] = await make_person(world, today + timedelta(days=10), family_name="none")
    world.people = people
    return world


async def test_board_sorted_by_date_and_flagged(board_world):
    world, p = board_world, board_world.people
    response = await world.get(OFFICER, f"{HOUSING}/board")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    keys = {v: k for k, v in p.items()}
    got = [(keys[i["person_id"]], i["rag"]) for i in items]

    def by_date_then_id(*names: str) -> list[str]:
        return sorted(names, key=lambda n: p[n])

    expected_order = [
        *by_date_then_id("secured", "unprepared"),
        "onday",
        *by_date_then_id("late", "offered"),
        "amber",
    ]
    assert [k for k, _ in got] == expected_order
    assert dict(got) == {
        "secured": "green",
        "unprepared": "red",
        "onday": "amber",
        "late": "red",
        "offered": "green",
        "amber": "amber",
    }
    first = items[0]
    assert first["days_left"] == 5
    onday = next(i for i in items if i["person_id"] == p["onday"])
    assert onday["registration_rule"] == "on_liberation_day"
    assert onday["next_action"]["liberation_day_action"] is True

    longer = (await world.get(OFFICER, f"{HOUSING}/board", params={"weeks": 16})).json()["items"]
    assert [i["person_id"] for i in longer][-1] == p["far"]
    assert longer[-1]["rag"] == "green"


async def test_board_filters_by_authority_and_pages(board_world):
    world, p = board_world, board_world.people
    ed = world.org_id("low-moss", "east-dunbartonshire-council")
    filtered = (
        await world.get(OFFICER, f"{HOUSING}/board", params={"local_authority_id": ed})
    ).json()["items"]
    assert [i["person_id"] for i in filtered] == [p["unprepared"], p["onday"]]

    full = [i["person_id"] for i in (await world.get(OFFICER, f"{HOUSING}/board")).json()["items"]]
    paged: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.get(OFFICER, f"{HOUSING}/board", params=params)).json()
        paged += [i["person_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == full

    for weeks in (0, 53):
        bad = await world.get(OFFICER, f"{HOUSING}/board", params={"weeks": weeks})
        assert bad.status_code == 422
        assert bad.json()["extra"][0]["key"] == "weeks"
    assert (
        await world.get(OFFICER, f"{HOUSING}/board", params={"cursor": "x!"})
    ).status_code == 400


async def _actor(world, username: str, tenant: str):
    async with db(world) as session:
        user = world.users[username]
        return await resolve_actor(
            session, CurrentUser(user.id, user.username, user.display_name, False), tenant
        )


async def test_liberation_date_set_puts_the_person_on_the_board(world):
    await add_officer(world)
    today = clock.today()
    person = await make_person(world, today + timedelta(days=21), family_name="Event")
    assert (await world.get(OFFICER, f"{HOUSING}/board")).json()["items"] == []

    actor = await _actor(world, "lm_worker", "low-moss")
    new = (today + timedelta(days=21)).isoformat()
    engine = make_engine(world.settings.db)
    try:
        factory = make_session_factory(engine)
        async with factory() as session:
            await publish(
                session,
                actor,
                "liberation_date_set",
                person_id=uid(person),
                data={"old": None, "new": new},
            )
            await session.commit()
        ctx = job_context(world.settings, get_plugin_manager(), factory)
        assert await run_pending(ctx) >= 1
        # The outbox row is finished: a second turn runs nothing again.
        assert await run_pending(ctx) == 0
        async with factory() as session:
            # Running the job's work twice is harmless: the record exists.
            assert (
                await ensure_record(session, actor.tenant_id, uid(person), reason="t") == "exists"
            )
    finally:
        await engine.dispose()

    board = (await world.get(OFFICER, f"{HOUSING}/board")).json()["items"]
    assert [(i["person_id"], i["status"], i["rag"]) for i in board] == [
        (person, "not_started", "red")
    ]
    created = await audit_rows(world, record_type="housing_record", action="create")
    assert [e.person_id for e in created] == [uid(person)]
    assert created[0].detail == {"reason": "liberation date set"}
    # The member who set the date is who the audit names.
    assert created[0].user_id == world.users["lm_worker"].id


def test_event_reaction_asks_only_for_a_new_date():
    pm = get_plugin_manager()
    tenant, person = uuid.uuid4(), uuid.uuid4()

    def ask(name: str, enabled: list[str], **data: object) -> list:
        event = DomainEvent(
            name=name, tenant_id=tenant, tenant_slug="t", person_id=person, data=dict(data)
        )
        hook = tenant_hook(pm, "on_domain_event", enabled)
        return [
            r for answer in hook(event=event) for r in answer if r.job == "ensure_housing_record"
        ]

    [request] = ask("liberation_date_set", ["housing"], old=None, new="2027-01-05")
    assert request.key == f"housing-record:{person}:2027-01-05"
    assert request.args == {"person_id": str(person), "actor_user_id": None}
    assert ask("liberation_date_set", ["housing"], old="2027-01-05", new=None) == []
    assert ask("person_released", ["housing"]) == []
    # Housing switched off for the tenant: the plugin is not even asked.
    assert ask("liberation_date_set", ["peer_mentoring"], old=None, new="2027-01-05") == []


async def test_job_idles_for_a_tenant_without_housing(world):
    await add_officer(world)
    async with db(world) as session:
        perth = world.tenants["hmp-perth"].id
        person = Person(
            tenant_id=perth,
            given_name="P",
            family_name="Perth",
            sort_name="perth p",
            date_of_birth=date(1980, 1, 1),
            liberation_date=clock.today() + timedelta(days=10),
        )
        session.add(person)
        await session.commit()
        assert await ensure_record(session, perth, person.id, reason="t") == "idle"
        assert await session.scalar(select(func.count()).select_from(HousingRecord)) == 0
        lm = world.tenants["low-moss"].id
        assert await ensure_record(session, lm, uuid.uuid4(), reason="t") == "no_person"


async def test_demo_rows_follow_each_authoritys_rule(world):
    await add_officer(world)
    today = clock.today()
    lm = world.tenants["low-moss"].id
    async with db(world) as session:
        for n in range(40):
            session.add(
                Person(
                    tenant_id=lm,
                    given_name="D",
                    family_name=f"Demo{n}",
                    sort_name=f"demo{n} d",
                    date_of_birth=date(1980, 1, 1),
                    liberation_date=today + timedelta(days=3 * n - 14),
                )
            )
        await session.flush()
        ctx = DemoContext(
            session=session,
            tenant_id=lm,
            tenant_slug="low-moss",
            random=Random(7),
            organisations={},
            users={OFFICER: world.users[OFFICER].id},
            persons=[],
        )
        await load_housing_demo(ctx)
        await session.commit()
        rows = (
            await session.execute(
                select(HousingRecord, Person).join(
                    Person,
                    (Person.tenant_id == HousingRecord.tenant_id)
                    & (Person.id == HousingRecord.person_id),
                )
            )
        ).all()
        steps = (await session.scalars(select(HousingStep))).all()
    # Everyone due out within sixteen weeks, or out in the last fortnight, has a record.
    assert len(rows) == sum(1 for n in range(40) if -14 <= 3 * n - 14 <= 16 * 7)
    glasgow = uid(world.org_id("low-moss", "glasgow-city-council"))
    on_day = {
        uid(world.org_id("low-moss", s))
        for s in ("east-dunbartonshire-council", "west-dunbartonshire-council")
    }
    assert sum(h.local_authority_id == glasgow for h, _ in rows) > len(rows) / 3
    by_record: dict[uuid.UUID, list[HousingStep]] = {}
    for s in steps:
        by_record.setdefault(s.record_id, []).append(s)
    for housing, person in rows:
        history = sorted(by_record[housing.id], key=lambda s: (s.on_date, s.created_at))
        assert history[0].to_status == "not_started"
        assert history[-1].to_status == housing.status
        assert all(s.on_date <= today for s in history)
        assert all(s.acted_by == world.users[OFFICER].id for s in history)
        if housing.local_authority_id in on_day and person.liberation_date > today:
            assert housing.status == "not_started"
        if housing.status == "no_fixed_abode":
            assert person.liberation_date <= today


def test_protocol_lines_parse_for_each_tenant_with_housing(world):
    pm = get_plugin_manager()
    for slug in ("low-moss", "leicester"):
        tenant = world.tenants[slug]
        lines = register_protocol_lines(slug)
        assert f"p, r:housing_officer, {slug}, housing, write, partnership, no_consent" in lines
        vocabulary = Vocabulary(
            domain=slug,
            roles=frozenset(tenant.roles),
            categories=frozenset(tenant_categories(pm, tenant.plugins)),
        )
        rules, _ = parse("\n".join(lines), vocabulary)
        assert {r.category for r in rules} == {"housing"}


async def test_panel_and_navigation(world):
    from core.authz.access import make_access
    from core.settings import PROJECT_ROOT

    await add_officer(world)
    pm = get_plugin_manager()
    [panel] = [
        p
        for answer in tenant_hook(pm, "register_person_panels", ["housing"])()
        for p in answer
        if p.name == "housing"
    ]
    assert panel.category == "housing"
    assert (PROJECT_ROOT / "plugins" / "housing" / "templates" / panel.template).is_file()
    nav = [n for answer in tenant_hook(pm, "register_navigation", ["housing"])() for n in answer]
    assert any(n.path == "housing/board" for n in nav)
    off = [n for answer in tenant_hook(pm, "register_navigation", [])() for n in answer]
    assert not any(n.path == "housing/board" for n in off)

    person = await make_person(world, clock.today() + timedelta(days=30))
    await open_record(world, person)
    actor = await _actor(world, OFFICER, "low-moss")
    async with db(world) as session:
        access = await make_access(session, actor, world.client.app.state)
        context = await load_panel(session, access, uid(person))
    assert context["housing"].status == "not_started"
    reads = await audit_rows(world, record_type="housing_record", action="read")
    assert [e.person_id for e in reads] == [uid(person)]


async def test_report_metrics_count_people_in_the_period(board_world):
    world = board_world
    today = clock.today()
    metrics = {
        m.key: m
        for answer in tenant_hook(get_plugin_manager(), "register_report_metrics", ["housing"])()
        for m in answer
    }
    secured, nfa = metrics["housing_secured"], metrics["housing_no_fixed_abode"]
    lm, lc = world.tenants["low-moss"].id, world.tenants["leicester"].id
    async with db(world) as session:
        assert await secured.compute(session, lm, today - timedelta(days=7), today) == 1
        assert (
            await secured.compute(session, lm, today - timedelta(days=7), today - timedelta(days=1))
            == 0
        )
        assert await secured.compute(session, lc, today - timedelta(days=7), today) == 0
        assert await nfa.compute(session, lm, today - timedelta(days=7), today) == 0


async def test_board_page_for_the_portal(board_world):
    world, p = board_world, board_world.people
    page = await world.get(OFFICER, "/t/low-moss/housing/board")
    assert page.status_code == 200, page.text
    assert "text/html" in page.headers["content-type"]
    for key in ("secured", "unprepared", "onday", "late", "offered", "amber"):
        assert f"/persons/{p[key]}" in page.text
    assert f"/persons/{p['far']}" not in page.text
    ed = world.org_id("low-moss", "east-dunbartonshire-council")
    filtered = await world.get(OFFICER, "/t/low-moss/housing/board", params={"authority": ed})
    assert f"/persons/{p['onday']}" in filtered.text
    assert f"/persons/{p['late']}" not in filtered.text
    await add_member(world, "perth_lead", "hmp-perth", "sps-perth", ["partnership_lead"])
    assert (await world.get("perth_lead", "/t/hmp-perth/housing/board")).status_code == 404


async def test_a_liberation_date_set_through_the_api_reaches_the_board(world):
    from core.jobs.models import OutboxEntry

    await add_officer(world)
    today = clock.today()
    person = await make_person(world, None, family_name="Patched")
    url = f"/api/v1/t/low-moss/persons/{person}"
    engine = make_engine(world.settings.db)
    try:
        ctx = job_context(world.settings, get_plugin_manager(), make_session_factory(engine))
        # Set, moved, cleared, and set again to the date it had: four changes.
        for days in (40, 47, None, 47):
            value = (today + timedelta(days=days)).isoformat() if days else None
            response = await world.patch("lm_worker", url, {"liberation_date": value})
            assert response.status_code == 200, response.text
            await run_pending(ctx)
    finally:
        await engine.dispose()
    board = (await world.get(OFFICER, f"{HOUSING}/board")).json()["items"]
    assert [(i["person_id"], i["days_left"]) for i in board] == [(person, 47)]
    async with db(world) as session:
        assert await session.scalar(select(func.count()).select_from(HousingRecord)) == 1
        requests = (
            await session.scalars(
                select(OutboxEntry).where(OutboxEntry.job == "ensure_housing_record")
            )
        ).all()
    # One request per distinct new date (the cleared date asks for none, the repeated
    # date is the same request), each run to the end.
    assert sorted(r.key for r in requests) == [
        f"housing-record:{person}:{(today + timedelta(days=d)).isoformat()}" for d in (40, 47)
    ]
    assert all(r.finished_at is not None for r in requests)
