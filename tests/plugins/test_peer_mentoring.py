"""Peer mentoring: mentors and vetting, matching only a cleared mentor, sessions, the
"met at the gate" appointment made, moved and cancelled by its job (called directly, twice,
and through a published domain event and the outbox), the schedule, the sharing engine's
guarantee for ``peer_support``, tenancy and the plugin switched off."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.accounts.services import issue_token
from core.audit.models import AuditEvent
from core.authz.actor import CurrentUser, resolve_actor
from core.clock import today as local_today
from core.db.engine import make_engine, make_session_factory
from core.events import publish
from core.jobs.outbox import run_pending
from core.jobs.worker import job_context
from core.persons.models import Person
from core.plugins import get_plugin_manager
from core.tenancy.models import Tenant
from plugins.peer_mentoring import on_domain_event
from plugins.peer_mentoring.gate import gate_time, sync_gate_appointment
from plugins.peer_mentoring.jobs import peer_mentoring_gate_appointment
from plugins.peer_mentoring.models import GateAppointment

T = "/api/v1/t"
LM = f"{T}/low-moss"
LC = f"{T}/leicester"
PM = f"{LM}/peer-mentoring"


@asynccontextmanager
async def db(world) -> AsyncIterator[AsyncSession]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


@asynccontextmanager
async def job_ctx(world) -> AsyncIterator[dict[str, Any]]:
    """The small ctx a job gets in the worker: a session factory (and the job registry)."""
    engine = make_engine(world.settings.db)
    try:
        yield job_context(world.settings, get_plugin_manager(), make_session_factory(engine))
    finally:
        await engine.dispose()


async def audit_rows(world, **where: Any) -> list[AuditEvent]:
    async with db(world) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.at)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list((await session.scalars(stmt)).all())


async def make_person(world, tenant: str = "low-moss", user: str = "lm_worker", **body) -> str:
    person = {
        "given_name": "Jamie",
        "family_name": f"Case{uuid.uuid4().hex[:6]}",
        "date_of_birth": "1988-07-14",
        "reception_date": "2026-01-05",
        **body,
    }
    response = await world.post(user, f"{T}/{tenant}/persons", person)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def add_member(world, username: str, org: str, roles: list[str]) -> str:
    """A Low Moss member beyond the shared world (a peer mentor who signs in)."""
    async with db(world) as session:
        user = User(username=username, display_name="Jamie Peer", password_hash="x")
        session.add(user)
        await session.flush()
        session.add(
            Membership(
                tenant_id=world.tenants["low-moss"].id,
                user_id=user.id,
                organisation_id=world.organisations[("low-moss", org)].id,
                roles=roles,
            )
        )
        issued = await issue_token(session, user, world.settings.security)
        await session.commit()
        world.tokens[username] = issued.token
        return str(user.id)


async def make_mentor(world, status: str = "cleared", **body: Any) -> str:
    payload = {"name": f"Volunteer {uuid.uuid4().hex[:4]}", "vetting_status": status, **body}
    if status == "cleared":
        payload.setdefault("vetted_on", (local_today() - timedelta(days=30)).isoformat())
    response = await world.post("lm_worker", f"{PM}/mentors", payload)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def set_liberation(world, person_id: str, liberation: date | None) -> None:
    """Straight to the table: the job must follow whatever the record says."""
    async with db(world) as session:
        person = await session.get(Person, (world.tenants["low-moss"].id, uuid.UUID(person_id)))
        person.liberation_date = liberation
        await session.commit()


async def gate_rows(world, person_id: str) -> list[GateAppointment]:
    async with db(world) as session:
        return list(
            (
                await session.scalars(
                    select(GateAppointment)
                    .where(GateAppointment.person_id == uuid.UUID(person_id))
                    .order_by(GateAppointment.created_at)
                )
            ).all()
        )


async def set_plugins(world, slug: str, plugins: list[str]) -> None:
    async with db(world) as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
        tenant.config = {**tenant.config, "plugins": plugins}
        await session.commit()


# ---------------------------------------------------------------- mentors and matching


async def test_mentors_and_their_vetting(world):
    mentor_user = await add_member(world, "lm_mentor", "sacro", ["peer_mentor"])
    both = await world.post(
        "lm_worker", f"{PM}/mentors", {"user_id": mentor_user, "name": "Two Names"}
    )
    assert both.status_code == 422
    assert {e["key"] for e in both.json()["extra"]} == {"user_id", "name"}
    stranger = await world.post("lm_worker", f"{PM}/mentors", {"user_id": str(uuid.uuid4())})
    assert stranger.status_code == 422
    no_date = await world.post(
        "lm_worker", f"{PM}/mentors", {"name": "Cleared Without Date", "vetting_status": "cleared"}
    )
    assert no_date.status_code == 422
    assert no_date.json()["extra"][0]["key"] == "vetted_on"
    bad_status = await world.post(
        "lm_worker", f"{PM}/mentors", {"name": "A", "vetting_status": "approved"}
    )
    assert bad_status.status_code == 400
    assert "vetting_status" in bad_status.text

    created = await world.post(
        "lm_worker",
        f"{PM}/mentors",
        {
            "user_id": mentor_user,
            "lived_experience": True,
            "availability": "Tuesday mornings",
            "organisation_id": world.org_id("low-moss", "sacro"),
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Jamie Peer"
    assert body["vetting_status"] == "pending"
    assert body["lived_experience"] is True
    again = await world.post("lm_worker", f"{PM}/mentors", {"user_id": mentor_user})
    assert again.status_code == 409

    cleared = await world.patch(
        "lm_worker",
        f"{PM}/mentors/{body['id']}",
        {"vetting_status": "cleared", "vetted_on": (local_today()).isoformat()},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["vetting_status"] == "cleared"

    await make_mentor(world, "lapsed")
    await make_mentor(world, "pending")
    listed = await world.get("lm_worker", f"{PM}/mentors", params={"vetting_status": "cleared"})
    assert [m["id"] for m in listed.json()["items"]] == [body["id"]]
    first = await world.get("lm_worker", f"{PM}/mentors", params={"limit": 2})
    second = await world.get(
        "lm_worker", f"{PM}/mentors", params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    assert len(first.json()["items"]) == 2 and len(second.json()["items"]) == 1
    assert [e.action for e in await audit_rows(world, record_type="mentor")][:2] == [
        "create",
        "update",
    ]


@pytest.mark.parametrize("status", ["pending", "lapsed"])
async def test_only_a_cleared_mentor_is_matched(world, status):
    person = await make_person(world)
    mentor = await make_mentor(world, status)
    refused = await world.post(
        "lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": mentor}
    )
    assert refused.status_code == 422
    assert refused.json()["extra"][0]["key"] == "mentor_id"
    assert status in refused.json()["detail"]


async def test_one_current_match_and_ending_it(world):
    person = await make_person(world)
    first, second = await make_mentor(world), await make_mentor(world)
    matched = await world.post(
        "lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": first}
    )
    assert matched.status_code == 201, matched.text
    clash = await world.post(
        "lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": second}
    )
    assert clash.status_code == 409
    ended = await world.post(
        "lm_worker", f"{PM}/matches/{matched.json()['id']}/end", {"reason": "Moved hall"}
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["ended_on"] == local_today().isoformat()
    assert (
        await world.post(
            "lm_worker", f"{PM}/matches/{matched.json()['id']}/end", {"reason": "again"}
        )
    ).status_code == 409
    rematched = await world.post(
        "lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": second}
    )
    assert rematched.status_code == 201
    history = await world.get("lm_worker", f"{PM}/persons/{person}/matches")
    assert {m["mentor_id"] for m in history.json()["items"]} == {first, second}


async def test_sessions_planned_and_logged(world):
    person = await make_person(world)
    url = f"{PM}/persons/{person}/sessions"
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    no_mentor = await world.post(
        "lm_worker", url, {"starts_at": soon, "status": "planned", "setting": "prison"}
    )
    assert no_mentor.status_code == 422
    assert no_mentor.json()["extra"][0]["key"] == "mentor_id"
    mentor = await make_mentor(world)
    await world.post("lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": mentor})
    planned_past = await world.post(
        "lm_worker", url, {"starts_at": past, "status": "planned", "setting": "prison"}
    )
    assert planned_past.status_code == 422
    held_future = await world.post(
        "lm_worker", url, {"starts_at": soon, "status": "held", "setting": "prison"}
    )
    assert held_future.status_code == 422
    held = await world.post(
        "lm_worker",
        url,
        {"starts_at": past, "status": "held", "setting": "prison", "duration_minutes": 40},
    )
    assert held.status_code == 201, held.text
    assert held.json()["mentor_id"] == mentor
    planned = await world.post(
        "lm_worker", url, {"starts_at": soon, "status": "planned", "setting": "community"}
    )
    assert planned.status_code == 201
    listed = await world.get("lm_worker", url)
    assert [s["id"] for s in listed.json()["items"]] == [
        planned.json()["id"],
        held.json()["id"],
    ]


# ---------------------------------------------------------------- the gate appointment


async def test_the_gate_job_creates_moves_and_cancels_idempotently(world):
    person = await make_person(world)
    mentor = await make_mentor(world)
    await world.post("lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": mentor})
    tenant = str(world.tenants["low-moss"].id)
    first_date = local_today() + timedelta(days=10)
    await set_liberation(world, person, first_date)

    async with job_ctx(world) as ctx:
        assert await peer_mentoring_gate_appointment(ctx, tenant_id=tenant, person_id=person) == (
            "created"
        )
        # arq may run a job twice: the second run changes nothing.
        assert await peer_mentoring_gate_appointment(ctx, tenant_id=tenant, person_id=person) == (
            "unchanged"
        )
        rows = await gate_rows(world, person)
        assert len(rows) == 1
        made = rows[0]
        assert (made.liberation_date, made.status, str(made.mentor_id)) == (
            first_date,
            "scheduled",
            mentor,
        )
        assert made.meet_at == gate_time(first_date)

        moved_to = first_date + timedelta(days=3)
        await set_liberation(world, person, moved_to)
        assert await peer_mentoring_gate_appointment(ctx, tenant_id=tenant, person_id=person) == (
            "moved"
        )
        assert await peer_mentoring_gate_appointment(ctx, tenant_id=tenant, person_id=person) == (
            "unchanged"
        )
        rows = await gate_rows(world, person)
        assert [(r.id, r.liberation_date, r.status) for r in rows] == [
            (made.id, moved_to, "scheduled")
        ]

        await set_liberation(world, person, None)
        assert await peer_mentoring_gate_appointment(ctx, tenant_id=tenant, person_id=person) == (
            "cancelled"
        )
        assert await peer_mentoring_gate_appointment(ctx, tenant_id=tenant, person_id=person) == (
            "unchanged"
        )
        assert [r.status for r in await gate_rows(world, person)] == ["cancelled"]

        # Idle for a tenant that has switched the plugin off.
        await set_liberation(world, person, first_date)
        await set_plugins(world, "low-moss", ["housing"])
        assert await peer_mentoring_gate_appointment(ctx, tenant_id=tenant, person_id=person) == (
            "disabled"
        )
    assert [r.status for r in await gate_rows(world, person)] == ["cancelled"]
    actions = [e.action for e in await audit_rows(world, record_type="gate_appointment")]
    assert actions == ["create", "update", "cancel"]


async def test_a_past_gate_appointment_stays_as_history(world):
    person = await make_person(world)
    tenant = world.tenants["low-moss"].id
    day = local_today() + timedelta(days=1)
    await set_liberation(world, person, day)
    async with db(world) as session:
        assert await sync_gate_appointment(session, tenant, uuid.UUID(person)) == "created"
    # A week later the release is past: the job neither cancels nor re-makes it.
    async with db(world) as session:
        outcome = await sync_gate_appointment(
            session, tenant, uuid.UUID(person), today=day + timedelta(days=7)
        )
    assert outcome == "unchanged"
    assert [(r.status, r.liberation_date) for r in await gate_rows(world, person)] == [
        ("scheduled", day)
    ]


async def test_a_published_liberation_date_runs_the_job_through_the_outbox(world):
    """The event hook's answer goes through core's outbox and runner to the job."""
    person = await make_person(world)
    first_date = local_today() + timedelta(days=14)
    await set_liberation(world, person, first_date)
    user = world.users["lm_worker"]
    current = CurrentUser(user.id, user.username, user.display_name, False)
    async with db(world) as session:
        actor = await resolve_actor(session, current, "low-moss")
        await publish(
            session,
            actor,
            "liberation_date_set",
            person_id=uuid.UUID(person),
            data={"old": None, "new": first_date.isoformat()},
        )
        await session.commit()
    async with job_ctx(world) as ctx:
        # Other plugins switched on here may react to the same event with jobs of their own.
        assert await run_pending(ctx) >= 1
    rows = await gate_rows(world, person)
    assert [(r.liberation_date, r.status) for r in rows] == [(first_date, "scheduled")]


async def test_a_liberation_date_set_through_the_core_api_makes_and_moves_it(world):
    """The issue's end to end: core's person API publishes the event, the outbox runs it."""
    person = await make_person(world)
    first_date = local_today() + timedelta(days=21)
    set_first = await world.patch(
        "lm_worker", f"{LM}/persons/{person}", {"liberation_date": first_date.isoformat()}
    )
    assert set_first.status_code == 200, set_first.text
    async with job_ctx(world) as ctx:
        await run_pending(ctx)
    assert [(r.liberation_date, r.status) for r in await gate_rows(world, person)] == [
        (first_date, "scheduled")
    ]
    moved_to = first_date + timedelta(days=2)
    await world.patch(
        "lm_worker", f"{LM}/persons/{person}", {"liberation_date": moved_to.isoformat()}
    )
    async with job_ctx(world) as ctx:
        await run_pending(ctx)
    assert [(r.liberation_date, r.status) for r in await gate_rows(world, person)] == [
        (moved_to, "scheduled")
    ]
    cleared = await world.patch("lm_worker", f"{LM}/persons/{person}", {"liberation_date": None})
    assert cleared.status_code == 200, cleared.text
    async with job_ctx(world) as ctx:
        await run_pending(ctx)
    assert [(r.liberation_date, r.status) for r in await gate_rows(world, person)] == [
        (moved_to, "cancelled")
    ]


def test_the_event_hook_answers_only_liberation_dates():
    tenant, person = uuid.uuid4(), uuid.uuid4()
    from core.hooktypes import DomainEvent

    def event(name: str, **data: Any) -> DomainEvent:
        return DomainEvent(
            name=name, tenant_id=tenant, tenant_slug="x", person_id=person, data=data
        )

    assert on_domain_event(event("person_released")) == []
    (request,) = on_domain_event(event("liberation_date_set", old=None, new="2026-12-01"))
    assert request.job == "peer_mentoring_gate_appointment"
    assert request.key.startswith(f"gate:{person}:2026-12-01:")
    assert request.args == {"person_id": str(person), "liberation_date": "2026-12-01"}
    # A date moved back and forth is a new request every time, never dropped as a repeat.
    again = on_domain_event(event("liberation_date_set", old=None, new="2026-12-01"))
    assert again[0].key != request.key


# ---------------------------------------------------------------- schedule and sharing


async def test_the_schedule_and_who_sees_it(world):
    mentor_user = await add_member(world, "lm_mentor", "sacro", ["peer_mentor"])
    mine = (
        await world.post(
            "lm_worker",
            f"{PM}/mentors",
            {
                "user_id": mentor_user,
                "vetting_status": "cleared",
                "vetted_on": local_today().isoformat(),
            },
        )
    ).json()["id"]
    other = await make_mentor(world)
    tenant = world.tenants["low-moss"].id
    mentee = await make_person(world)
    someone_else = await make_person(world)
    await world.post("lm_worker", f"{PM}/matches", {"person_id": mentee, "mentor_id": mine})
    await world.post("lm_worker", f"{PM}/matches", {"person_id": someone_else, "mentor_id": other})
    release = local_today() + timedelta(days=5)
    for person in (mentee, someone_else):
        await set_liberation(world, person, release)
        async with db(world) as session:
            await sync_gate_appointment(session, tenant, uuid.UUID(person))
    visit = datetime.now(UTC) + timedelta(days=2)
    planned = await world.post(
        "lm_worker",
        f"{PM}/persons/{mentee}/sessions",
        {"starts_at": visit.isoformat(), "status": "planned", "setting": "prison"},
    )
    assert planned.status_code == 201

    everything = (await world.get("lm_worker", f"{PM}/schedule")).json()["items"]
    # Soonest first: the visit in two days, then both gate appointments on the release day.
    assert (everything[0]["kind"], everything[0]["person_id"]) == ("session", mentee)
    gates = everything[1:]
    assert {(i["kind"], i["person_id"]) for i in gates} == {
        ("gate_appointment", mentee),
        ("gate_appointment", someone_else),
    }
    assert {i["starts_at"] for i in gates} == {
        gate_time(release).isoformat().replace("+00:00", "Z")
    }
    paged = await world.get("lm_worker", f"{PM}/schedule", params={"limit": 1})
    rest = await world.get(
        "lm_worker", f"{PM}/schedule", params={"limit": 5, "cursor": paged.json()["next_cursor"]}
    )
    assert [i["id"] for i in paged.json()["items"] + rest.json()["items"]] == [
        i["id"] for i in everything
    ]

    # The mentor signs in: "assigned" scope, so only their mentee, in every list.
    own = (await world.get("lm_mentor", f"{PM}/schedule", params={"mine": True})).json()
    assert {i["person_id"] for i in own["items"]} == {mentee}
    seen = (await world.get("lm_mentor", f"{PM}/schedule")).json()["items"]
    assert {i["person_id"] for i in seen} == {mentee}
    gates = (await world.get("lm_mentor", f"{PM}/gate-appointments")).json()["items"]
    assert {g["person_id"] for g in gates} == {mentee}
    assert (await world.get("lm_mentor", f"{PM}/persons/{someone_else}/sessions")).status_code in (
        403,
        404,
    )
    assert (await world.get("lm_worker", f"{PM}/schedule", params={"mine": True})).status_code == (
        422
    )

    # The nurse holds no peer_support grant: nothing in a list, 403 on a record.
    assert (await world.get("lm_nurse", f"{PM}/schedule")).json()["items"] == []
    assert (await world.get("lm_nurse", f"{PM}/gate-appointments")).json()["items"] == []
    assert (await world.get("lm_nurse", f"{PM}/persons/{mentee}/sessions")).status_code == 403
    assert (await world.get("lm_nurse", f"{PM}/persons/{mentee}/matches")).status_code == 403
    assert (await world.get("lm_nurse", f"{PM}/mentors")).status_code == 403

    # Ending the match takes the mentor's access back.
    match_id = (await world.get("lm_worker", f"{PM}/persons/{mentee}/matches")).json()["items"][0][
        "id"
    ]
    await world.post("lm_worker", f"{PM}/matches/{match_id}/end", {"reason": "Released"})
    assert (await world.get("lm_mentor", f"{PM}/schedule")).json()["items"] == []


async def test_recording_how_the_gate_went(world):
    person = await make_person(world)
    tenant = world.tenants["low-moss"].id
    await set_liberation(world, person, local_today() + timedelta(days=3))
    async with db(world) as session:
        await sync_gate_appointment(session, tenant, uuid.UUID(person))
    (row,) = await gate_rows(world, person)
    url = f"{PM}/gate-appointments/{row.id}"
    early = await world.patch("lm_worker", url, {"status": "met"})
    assert early.status_code == 422
    pending = await make_mentor(world, "pending")
    assert (await world.patch("lm_worker", url, {"mentor_id": pending})).status_code == 422
    cleared = await make_mentor(world)
    assigned = await world.patch("lm_worker", url, {"mentor_id": cleared})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["mentor_id"] == cleared


# ---------------------------------------------------------------- tenancy and the switch


async def test_leicester_never_reaches_low_moss_mentoring(world):
    person = await make_person(world)
    mentor = await make_mentor(world)
    lc = f"{LC}/peer-mentoring"
    assert (await world.get("lc_worker", f"{lc}/mentors/{mentor}")).status_code == 404
    assert (await world.get("lc_worker", f"{lc}/persons/{person}/sessions")).status_code == 404
    refused = await world.post(
        "lc_worker", f"{lc}/matches", {"person_id": person, "mentor_id": mentor}
    )
    assert refused.status_code == 404
    assert (await world.get("lc_worker", f"{PM}/mentors")).status_code == 404


async def test_switched_off_the_routes_answer_404(world):
    assert (await world.get("lm_worker", f"{PM}/mentors")).status_code == 200
    await set_plugins(world, "low-moss", ["housing", "family_support", "harm_reduction"])
    for url in (f"{PM}/mentors", f"{PM}/schedule", f"{PM}/gate-appointments"):
        assert (await world.get("lm_worker", url)).status_code == 404, url
    assert (await world.post("lm_worker", f"{PM}/mentors", {"name": "Someone"})).status_code == 404
    assert (await world.get("lc_worker", f"{LC}/peer-mentoring/mentors")).status_code == 200


async def test_report_metrics_count_people_in_the_period(world):
    from plugins.peer_mentoring.metrics import people_matched, people_met_at_the_gate

    person = await make_person(world)
    mentor = await make_mentor(world)
    await world.post("lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": mentor})
    tenant = world.tenants["low-moss"].id
    today = local_today()
    async with db(world) as session:
        assert await people_matched(session, tenant, today, today) == 1
        assert (
            await people_matched(
                session, tenant, today + timedelta(days=1), today + timedelta(days=9)
            )
            == 0
        )
        assert await people_met_at_the_gate(session, tenant, today, today) == 0
        session.add(
            GateAppointment(
                tenant_id=tenant,
                person_id=uuid.UUID(person),
                liberation_date=today,
                meet_at=gate_time(today),
                status="met",
            )
        )
        await session.commit()
        assert await people_met_at_the_gate(session, tenant, today, today) == 1


async def test_panel_navigation_protocol_lines_and_demo(world):
    from random import Random

    from core.authz.access import make_access
    from core.authz.protocol import Vocabulary, parse
    from core.hooktypes import DemoContext
    from core.plugins import tenant_hook
    from core.settings import PROJECT_ROOT
    from core.vocabulary import tenant_categories
    from plugins.peer_mentoring import register_protocol_lines
    from plugins.peer_mentoring.demo import load_demo
    from plugins.peer_mentoring.models import Mentor

    pm = get_plugin_manager()
    [panel] = [
        p
        for answer in tenant_hook(pm, "register_person_panels", ["peer_mentoring"])()
        for p in answer
        if p.name == "peer_mentoring"
    ]
    assert panel.category == "peer_support"
    assert (PROJECT_ROOT / "plugins" / "peer_mentoring" / "templates" / panel.template).is_file()
    nav = [n for a in tenant_hook(pm, "register_navigation", ["peer_mentoring"])() for n in a]
    assert any(n.path == "peer-mentoring/schedule" for n in nav)
    for slug in ("low-moss", "leicester"):
        tenant = world.tenants[slug]
        vocabulary = Vocabulary(
            domain=slug,
            roles=frozenset(tenant.roles),
            categories=frozenset(tenant_categories(pm, tenant.plugins)),
        )
        rules, _ = parse("\n".join(register_protocol_lines(slug)), vocabulary)
        assert {r.category for r in rules} == {"peer_support"}

    today = local_today()
    people = [
        await make_person(world, liberation_date=(today + timedelta(days=d)).isoformat())
        for d in (3, 30, 200)
    ]
    tenant = world.tenants["low-moss"]
    async with db(world) as session:
        await load_demo(
            DemoContext(
                session=session,
                tenant_id=tenant.id,
                tenant_slug="low-moss",
                random=Random(3),
                organisations={
                    slug: org.id
                    for (t, slug), org in world.organisations.items()
                    if t == "low-moss"
                },
                users={},
                persons=[uuid.UUID(p) for p in people],
            )
        )
        await session.commit()
        mentors = (await session.scalars(select(Mentor))).all()
        assert {m.vetting_status for m in mentors} == {"cleared", "pending", "lapsed"}
    # Every person with a liberation date ahead has one gate appointment on it.
    for person, days in zip(people, (3, 30, 200), strict=True):
        rows = await gate_rows(world, person)
        assert [(r.liberation_date, r.status) for r in rows] == [
            (today + timedelta(days=days), "scheduled")
        ]

    actor = await _actor(world, "lm_worker")
    async with db(world) as session:
        access = await make_access(session, actor, world.client.app.state)
        context = await panel.load(session, access, uuid.UUID(people[0]))
    assert context["gate_appointment"].liberation_date == today + timedelta(days=3)
    reads = await audit_rows(world, action="read", record_type="peer_support_panel")
    assert [e.person_id for e in reads] == [uuid.UUID(people[0])]


async def _actor(world, username: str, tenant: str = "low-moss"):
    user = world.users[username]
    async with db(world) as session:
        return await resolve_actor(
            session, CurrentUser(user.id, user.username, user.display_name, False), tenant
        )


async def test_a_burst_worker_runs_the_gate_job_from_redis(world, redis_url):
    """The worker layer: the event's request handed to arq on commit, run by a burst worker."""
    import msgspec
    from arq.connections import RedisSettings as ArqRedisSettings
    from arq.connections import create_pool
    from arq.worker import Worker

    from core.jobs.outbox import Dispatcher, reset_dispatcher, set_dispatcher
    from core.jobs.worker import serializers, worker_options
    from core.settings import RedisSettings

    settings = msgspec.structs.replace(world.settings, redis=RedisSettings(url=redis_url))
    pool = await create_pool(ArqRedisSettings.from_dsn(redis_url), **serializers())
    await pool.flushdb()  # this suite's own Redis database (THROUGHCARE_TEST_REDIS_URL)
    await pool.aclose()
    person = await make_person(world)
    user = world.users["lm_worker"]
    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    try:
        for day in (10, 12):  # set, then moved: one appointment, on the second date
            liberation = local_today() + timedelta(days=day)
            await set_liberation(world, person, liberation)
            dispatcher = Dispatcher(factory, redis_url=redis_url)
            token = set_dispatcher(dispatcher)
            try:
                async with factory() as session:
                    actor = await resolve_actor(
                        session,
                        CurrentUser(user.id, user.username, user.display_name, False),
                        "low-moss",
                    )
                    await publish(
                        session,
                        actor,
                        "liberation_date_set",
                        person_id=uuid.UUID(person),
                        data={"old": None, "new": liberation.isoformat()},
                    )
                    await session.commit()
            finally:
                reset_dispatcher(token)
            await dispatcher.close()
            options = worker_options(settings, get_plugin_manager(), job_timeout=10)
            worker = Worker(**{**options, "cron_jobs": []}, burst=True, poll_delay=0.05)
            try:
                await worker.main()
            finally:
                await worker.close()
            rows = await gate_rows(world, person)
            assert [(r.liberation_date, r.status) for r in rows] == [(liberation, "scheduled")]
    finally:
        await engine.dispose()


async def test_the_schedule_page(world):
    person = await make_person(world)
    await set_liberation(world, person, local_today() + timedelta(days=4))
    async with db(world) as session:
        await sync_gate_appointment(session, world.tenants["low-moss"].id, uuid.UUID(person))
    page = await world.get("lm_worker", "/t/low-moss/peer-mentoring/schedule")
    assert page.status_code == 200, page.text
    assert "Met at the gate" in page.text and f"/persons/{person}" in page.text
    nurse = await world.get("lm_nurse", "/t/low-moss/peer-mentoring/schedule")
    assert f"/persons/{person}" not in nurse.text
    await set_plugins(world, "low-moss", ["housing"])
    assert (await world.get("lm_worker", "/t/low-moss/peer-mentoring/schedule")).status_code == 404
