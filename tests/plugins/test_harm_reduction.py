"""Harm reduction: a positive drug test refers the person automatically through core's
referral service, with an appointment offered, and a declined offer is recorded; naloxone
training and kits (first or repeat, with a reason); the overdose-risk list and flag for the
first two weeks after release; the sharing engine's guarantee for ``health`` and
``substance_use``; tenancy and the plugin switched off."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.authz.relations import assign, link_organisation
from core.clock import today as local_today
from core.db.engine import make_engine, make_session_factory
from core.hookspecs import hookimpl
from core.jobs.models import OutboxEntry
from core.referrals.models import Referral
from core.tenancy.models import Tenant
from plugins.harm_reduction.common import OVERDOSE_RISK_DAYS, default_appointment
from plugins.harm_reduction.models import DrugTest

T = "/api/v1/t"
LM = f"{T}/low-moss"
LC = f"{T}/leicester"
HR = f"{LM}/harm-reduction"


@asynccontextmanager
async def db(world) -> AsyncIterator[AsyncSession]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def audit_rows(world, **where: Any) -> list[AuditEvent]:
    async with db(world) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.at)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list((await session.scalars(stmt)).all())


async def count(world, model: Any) -> int:
    async with db(world) as session:
        return await session.scalar(select(func.count()).select_from(model))


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
    person_id = response.json()["id"]
    if tenant == "low-moss":
        # Prison healthcare works with the person by the partnership's decision (issue 13:
        # testing them makes no relation), so its nurse may make the referral a test makes.
        async with db(world) as session:
            await link_organisation(
                session,
                world.tenants[tenant].id,
                uuid.UUID(person_id),
                uuid.UUID(world.org_id(tenant, "nhs-ggc")),
                "episode_lead",
            )
            await session.commit()
    return person_id


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def set_plugins(world, slug: str, plugins: list[str]) -> None:
    async with db(world) as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
        tenant.config = {**tenant.config, "plugins": plugins}
        await session.commit()


async def give_consent(world, person_id: str, category: str, org: str) -> None:
    response = await world.post(
        "lm_worker",
        f"{LM}/persons/{person_id}/consents",
        {
            "category": category,
            "recipient_organisation_id": world.org_id("low-moss", org),
            "purpose": "Harm reduction",
            "lawful_basis": "consent",
        },
    )
    assert response.status_code == 201, response.text


# ---------------------------------------------------------------- drug tests


async def test_a_positive_test_refers_the_person_with_an_appointment_offered(world):
    person = await make_person(world)
    response = await world.post(
        "lm_nurse",
        f"{HR}/drug-tests",
        {
            "person_id": person,
            "tested_at": ago(hours=3),
            "result": "positive",
            "substances": ["Opiates", "benzodiazepines", "opiates "],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["substances"] == ["benzodiazepines", "opiates"]
    assert body["referral_id"] is not None

    async with db(world) as session:
        referral = await session.get(
            Referral, (world.tenants["low-moss"].id, uuid.UUID(body["referral_id"]))
        )
        assert referral.source == "positive_drug_test"
        assert str(referral.person_id) == person
        assert referral.offered_appointment_at is not None
        assert referral.offered_appointment_at > datetime.now(UTC)
        assert referral.decision is None
        assert str(referral.referring_organisation_id) == world.org_id("low-moss", "nhs-ggc")
    expected = default_appointment(datetime.now(UTC), "scotland")
    assert body["offered_appointment_at"].startswith(expected.date().isoformat())

    # The referral is core's: it shows in core's list with its source.
    listed = await world.get("lm_nurse", f"{LM}/referrals", params={"person_id": person})
    assert [r["source"] for r in listed.json()["items"]] == ["positive_drug_test"]
    assert await audit_rows(world, action="create", record_type="drug_test")
    assert await audit_rows(world, action="create", record_type="referral")


@pytest.mark.parametrize("result", ["negative", "refused"])
async def test_other_results_refer_nobody(world, result):
    person = await make_person(world)
    response = await world.post(
        "lm_nurse",
        f"{HR}/drug-tests",
        {"person_id": person, "tested_at": ago(hours=1), "result": result},
    )
    assert response.status_code == 201, response.text
    assert response.json()["referral_id"] is None
    assert await count(world, Referral) == 0
    with_substances = await world.post(
        "lm_nurse",
        f"{HR}/drug-tests",
        {
            "person_id": person,
            "tested_at": ago(hours=1),
            "result": result,
            "substances": ["cannabis"],
        },
    )
    assert with_substances.status_code == 422
    assert with_substances.json()["extra"][0]["key"] == "substances"


async def test_the_appointment_offered_can_be_named_but_not_in_the_past(world):
    person = await make_person(world)
    url = f"{HR}/drug-tests"
    past = await world.post(
        "lm_nurse",
        url,
        {
            "person_id": person,
            "tested_at": ago(hours=1),
            "result": "positive",
            "appointment_at": ago(minutes=30),
        },
    )
    assert past.status_code == 422
    assert past.json()["extra"][0]["key"] == "appointment_at"
    assert await count(world, DrugTest) == 0
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    named = await world.post(
        "lm_nurse",
        url,
        {
            "person_id": person,
            "tested_at": ago(hours=1),
            "result": "positive",
            "appointment_at": when.isoformat(),
        },
    )
    assert named.status_code == 201, named.text
    assert datetime.fromisoformat(named.json()["offered_appointment_at"]) == when
    future_test = await world.post(
        "lm_nurse", url, {"person_id": person, "tested_at": ago(hours=-2), "result": "negative"}
    )
    assert future_test.status_code == 422


async def test_a_declined_offer_is_recorded_once(world):
    person = await make_person(world)
    positive = (
        await world.post(
            "lm_nurse",
            f"{HR}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=2), "result": "positive"},
        )
    ).json()
    declined = await world.post(
        "lm_nurse",
        f"{HR}/drug-tests/{positive['id']}/decline",
        {"notes": "Does not want support at present"},
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["referral_decision"] == "declined"
    async with db(world) as session:
        referral = await session.get(
            Referral, (world.tenants["low-moss"].id, uuid.UUID(positive["referral_id"]))
        )
        assert referral.decision == "declined"
        assert referral.decision_notes == "Does not want support at present"
        assert referral.decided_at is not None
    again = await world.post("lm_nurse", f"{HR}/drug-tests/{positive['id']}/decline", {})
    assert again.status_code == 409

    negative = (
        await world.post(
            "lm_nurse",
            f"{HR}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=1), "result": "negative"},
        )
    ).json()
    nothing = await world.post("lm_nurse", f"{HR}/drug-tests/{negative['id']}/decline", {})
    assert nothing.status_code == 422

    listed = await world.get("lm_nurse", f"{HR}/persons/{person}/drug-tests")
    assert [(t["result"], t["referral_decision"]) for t in listed.json()["items"]] == [
        ("negative", None),
        ("positive", "declined"),
    ]
    one = await world.get("lm_nurse", f"{HR}/drug-tests/{positive['id']}")
    assert one.json()["referral_decision"] == "declined"
    assert await audit_rows(world, action="read", record_type="drug_test")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"result": "maybe"}, "result"),
        ({"tested_at": "2026-01-01T10:00:00"}, "tested_at"),
        ({"substances": [""]}, "substances"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_drug_test_bodies(world, change, field):
    person = await make_person(world)
    body = {"person_id": person, "tested_at": ago(hours=1), "result": "negative", **change}
    response = await world.post("lm_nurse", f"{HR}/drug-tests", body)
    assert response.status_code == 400, response.text
    assert field in response.text


# ---------------------------------------------------------------- naloxone


async def test_naloxone_kits_first_then_repeat_with_a_reason(world):
    person = await make_person(world)
    url = f"{HR}/naloxone/supplies"
    base = {"person_id": person, "supplied_at": ago(days=2), "kit_type": "nasal"}
    repeat_without_reason = await world.post("lm_nurse", url, {**base, "supply": "repeat"})
    assert repeat_without_reason.status_code == 422
    assert repeat_without_reason.json()["extra"][0]["key"] == "repeat_reason"
    first_with_reason = await world.post(
        "lm_nurse", url, {**base, "supply": "first", "repeat_reason": "lost"}
    )
    assert first_with_reason.status_code == 422
    first = await world.post("lm_nurse", url, {**base, "supply": "first"})
    assert first.status_code == 201, first.text
    second_first = await world.post("lm_nurse", url, {**base, "supply": "first"})
    assert second_first.status_code == 422
    assert second_first.json()["extra"][0]["key"] == "supply"
    repeat = await world.post(
        "lm_nurse",
        url,
        {
            **base,
            "supplied_at": ago(days=1),
            "kit_type": "intramuscular",
            "supply": "repeat",
            "repeat_reason": "used",
        },
    )
    assert repeat.status_code == 201, repeat.text
    bad_kit = await world.post("lm_nurse", url, {**base, "kit_type": "tablet", "supply": "first"})
    assert bad_kit.status_code == 400
    assert "kit_type" in bad_kit.text

    listed = await world.get("lm_nurse", f"{HR}/persons/{person}/naloxone/supplies")
    assert [(s["supply"], s["kit_type"], s["repeat_reason"]) for s in listed.json()["items"]] == [
        ("repeat", "intramuscular", "used"),
        ("first", "nasal", None),
    ]
    trained = await world.post(
        "lm_nurse",
        f"{HR}/naloxone/trainings",
        {"person_id": person, "trained_at": ago(days=2), "trainee": "family_member"},
    )
    assert trained.status_code == 201, trained.text
    trainings = await world.get("lm_nurse", f"{HR}/persons/{person}/naloxone/trainings")
    assert [t["trainee"] for t in trainings.json()["items"]] == ["family_member"]
    assert len(await audit_rows(world, action="create", record_type="naloxone_supply")) == 2


# ---------------------------------------------------------------- overdose risk


async def test_the_first_two_weeks_after_release(world):
    today = local_today()
    released_today = await make_person(world, liberation_date=today.isoformat())
    last_day = await make_person(
        world, liberation_date=(today - timedelta(days=OVERDOSE_RISK_DAYS - 1)).isoformat()
    )
    past_window = await make_person(
        world, liberation_date=(today - timedelta(days=OVERDOSE_RISK_DAYS)).isoformat()
    )
    not_yet = await make_person(world, liberation_date=(today + timedelta(days=1)).isoformat())
    await world.post(
        "lm_nurse",
        f"{HR}/naloxone/supplies",
        {
            "person_id": last_day,
            "supplied_at": ago(days=1),
            "kit_type": "nasal",
            "supply": "first",
        },
    )

    listed = (await world.get("lm_nurse", f"{HR}/overdose-risk")).json()["items"]
    assert [(p["person_id"], p["has_naloxone"]) for p in listed] == [
        (released_today, False),
        (last_day, True),
    ]
    assert listed[0]["risk_until"] == (today + timedelta(days=OVERDOSE_RISK_DAYS - 1)).isoformat()
    without = (
        await world.get("lm_nurse", f"{HR}/overdose-risk", params={"without_naloxone": True})
    ).json()["items"]
    assert [p["person_id"] for p in without] == [released_today]
    page = await world.get("lm_nurse", f"{HR}/overdose-risk", params={"limit": 1})
    rest = await world.get(
        "lm_nurse",
        f"{HR}/overdose-risk",
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
    )
    assert [p["person_id"] for p in page.json()["items"] + rest.json()["items"]] == [
        released_today,
        last_day,
    ]

    for person, flagged in (
        (released_today, True),
        (last_day, True),
        (past_window, False),
        (not_yet, False),
    ):
        summary = await world.get("lm_nurse", f"{HR}/persons/{person}/summary")
        assert summary.status_code == 200, summary.text
        assert summary.json()["overdose_risk"] is flagged, person
    summary = (await world.get("lm_nurse", f"{HR}/persons/{last_day}/summary")).json()
    assert summary["naloxone_kits"] == 1
    assert summary["restricted"] == []
    reads = await audit_rows(world, action="read", record_type="harm_reduction_summary")
    assert len(reads) == 5


# ---------------------------------------------------------------- sharing, tenancy, switch


async def test_without_health_read_nothing_is_seen(world):
    """The sharing engine's guarantee for ``health``: the prison officer and a key worker
    of another organisation hold no health read, so they see no kit and no risk flag."""
    today = local_today()
    person = await make_person(world, liberation_date=today.isoformat())
    await world.post(
        "lm_nurse",
        f"{HR}/naloxone/supplies",
        {"person_id": person, "supplied_at": ago(days=1), "kit_type": "nasal", "supply": "first"},
    )
    assert len((await world.get("lm_nurse", f"{HR}/overdose-risk")).json()["items"]) == 1
    for user in ("lm_officer", "lm_sacro"):
        assert (await world.get(user, f"{HR}/overdose-risk")).json()["items"] == [], user
        supplies = await world.get(user, f"{HR}/persons/{person}/naloxone/supplies")
        assert supplies.status_code == 403, user
        assert (await world.get(user, f"{HR}/persons/{person}/summary")).status_code == 403
    # The officer reads substance use only with consent: then the summary shows the tests
    # and names health as withheld.
    await give_consent(world, person, "substance_use", "sps-low-moss")
    summary = await world.get("lm_officer", f"{HR}/persons/{person}/summary")
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["restricted"] == ["health"]
    assert body["overdose_risk"] is None and body["naloxone_kits"] is None

    # Working for the same organisation is not enough, even with consent: health goes to
    # the person's own key worker, with consent.
    await give_consent(world, person, "health", "turning-point-scotland")
    assert (await world.get("lm_worker", f"{HR}/overdose-risk")).json()["items"] == []
    await make_key_worker(world, person, "lm_worker")
    seen = (await world.get("lm_worker", f"{HR}/overdose-risk")).json()["items"]
    assert [p["person_id"] for p in seen] == [person]


async def make_key_worker(world, person: str, username: str) -> None:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            tenant = world.tenants["low-moss"].id
            await assign(session, tenant, uuid.UUID(person), world.users[username].id, "key_worker")
            await session.commit()
    finally:
        await engine.dispose()


async def test_without_substance_use_read_no_drug_test_is_seen(world):
    person = await make_person(world)
    test = (
        await world.post(
            "lm_nurse",
            f"{HR}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=1), "result": "negative"},
        )
    ).json()
    assert (await world.get("lm_sacro", f"{HR}/drug-tests/{test['id']}")).status_code == 403
    assert (await world.get("lm_sacro", f"{HR}/persons/{person}/drug-tests")).status_code == 403
    assert (
        await world.post(
            "lm_sacro",
            f"{HR}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=1), "result": "negative"},
        )
    ).status_code == 403
    assert await count(world, DrugTest) == 1


async def test_leicester_never_reaches_low_moss_harm_reduction(world):
    person = await make_person(world)
    test = (
        await world.post(
            "lm_nurse",
            f"{HR}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=1), "result": "negative"},
        )
    ).json()
    lc = f"{LC}/harm-reduction"
    assert (await world.get("lc_worker", f"{lc}/drug-tests/{test['id']}")).status_code == 404
    assert (await world.get("lc_worker", f"{lc}/persons/{person}/summary")).status_code == 404
    assert (
        await world.post(
            "lc_worker",
            f"{lc}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=1), "result": "positive"},
        )
    ).status_code == 404
    assert (await world.get("lc_worker", f"{HR}/overdose-risk")).status_code == 404
    assert await count(world, Referral) == 0


async def test_switched_off_the_routes_answer_404(world):
    person = await make_person(world)
    assert (await world.get("lm_nurse", f"{HR}/overdose-risk")).status_code == 200
    await set_plugins(world, "low-moss", ["housing", "family_support", "peer_mentoring"])
    assert (await world.get("lm_nurse", f"{HR}/overdose-risk")).status_code == 404
    assert (await world.get("lm_nurse", f"{HR}/persons/{person}/summary")).status_code == 404
    off = await world.post(
        "lm_nurse",
        f"{HR}/drug-tests",
        {"person_id": person, "tested_at": ago(hours=1), "result": "positive"},
    )
    assert off.status_code == 404
    assert await count(world, DrugTest) == 0
    assert await count(world, Referral) == 0


async def test_report_metrics_count_people_in_the_period(world):
    from plugins.harm_reduction.metrics import people_given_naloxone, people_testing_positive

    person = await make_person(world)
    for hours in (5, 4):
        await world.post(
            "lm_nurse",
            f"{HR}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=hours), "result": "positive"},
        )
    await world.post(
        "lm_nurse",
        f"{HR}/naloxone/supplies",
        {"person_id": person, "supplied_at": ago(hours=1), "kit_type": "nasal", "supply": "first"},
    )
    tenant = world.tenants["low-moss"].id
    today = local_today()
    async with db(world) as session:
        # Two positive tests of one person are one person.
        assert await people_testing_positive(session, tenant, today - timedelta(days=1), today) == 1
        assert await people_given_naloxone(session, tenant, today - timedelta(days=1), today) == 1
        last_year = today - timedelta(days=365)
        assert await people_testing_positive(session, tenant, last_year, last_year) == 0
        other = world.tenants["leicester"].id
        assert await people_testing_positive(session, other, today - timedelta(days=1), today) == 0


async def test_panel_navigation_protocol_lines_and_demo(world):
    from random import Random

    from core.authz.access import make_access
    from core.authz.actor import CurrentUser, resolve_actor
    from core.authz.protocol import Vocabulary, parse
    from core.hooktypes import DemoContext
    from core.plugins import get_plugin_manager, tenant_hook
    from core.settings import PROJECT_ROOT
    from core.vocabulary import tenant_categories
    from plugins.harm_reduction import register_protocol_lines
    from plugins.harm_reduction.demo import load_demo

    pm = get_plugin_manager()
    [panel] = [
        p
        for answer in tenant_hook(pm, "register_person_panels", ["harm_reduction"])()
        for p in answer
        if p.name == "harm_reduction"
    ]
    assert (PROJECT_ROOT / "plugins" / "harm_reduction" / "templates" / panel.template).is_file()
    nav = [n for a in tenant_hook(pm, "register_navigation", ["harm_reduction"])() for n in a]
    assert any(n.path == "harm-reduction/overdose-risk" for n in nav)
    for slug in ("low-moss", "leicester"):
        tenant = world.tenants[slug]
        vocabulary = Vocabulary(
            domain=slug,
            roles=frozenset(tenant.roles),
            categories=frozenset(tenant_categories(pm, tenant.plugins)),
        )
        rules, _ = parse("\n".join(register_protocol_lines(slug)), vocabulary)
        assert {r.category for r in rules} == {"health"}

    today = local_today()
    released = await make_person(world, liberation_date=today.isoformat())
    # A positive test through the API: the demo ties one more positive test to its referral.
    await world.post(
        "lm_nurse",
        f"{HR}/drug-tests",
        {"person_id": released, "tested_at": ago(hours=2), "result": "positive"},
    )
    tenant = world.tenants["low-moss"]
    async with db(world) as session:
        await load_demo(
            DemoContext(
                session=session,
                tenant_id=tenant.id,
                tenant_slug="low-moss",
                random=Random(5),
                organisations={
                    slug: org.id
                    for (t, slug), org in world.organisations.items()
                    if t == "low-moss"
                },
                users={},
                persons=[uuid.UUID(released)],
            )
        )
        await session.commit()
        tests = (await session.scalars(select(DrugTest))).all()
        for test in tests:
            # A positive result never stands without its automatic referral.
            assert (test.result == "positive") == (test.referral_id is not None)

    user = world.users["lm_nurse"]
    async with db(world) as session:
        actor = await resolve_actor(
            session, CurrentUser(user.id, user.username, user.display_name, False), "low-moss"
        )
        access = await make_access(session, actor, world.client.app.state)
        context = await panel.load(session, access, uuid.UUID(released))
    assert context["summary"].overdose_risk is True
    assert context["summary"].positive_tests >= 1
    reads = await audit_rows(world, action="read", record_type="harm_reduction_summary")
    assert [e.person_id for e in reads] == [uuid.UUID(released)]


class Listener:
    """A plugin for one test: it answers every drug test with a job request."""

    events: list[Any]

    def __init__(self) -> None:
        self.events = []

    @hookimpl
    def on_domain_event(self, event: Any) -> list[Any]:
        from core.hooktypes import JobRequest

        if event.name != "drug_test_recorded":
            return []
        self.events.append(event)
        return [JobRequest(job="listener_job", key=f"listener:{event.data['drug_test_id']}")]


async def test_a_recorded_drug_test_is_published_as_a_domain_event(world):
    from core.plugins import get_plugin_manager

    listener = Listener()
    pm = get_plugin_manager()
    pm.register(listener, name="listener")
    try:
        await set_plugins(
            world,
            "low-moss",
            ["housing", "family_support", "peer_mentoring", "harm_reduction", "listener"],
        )
        person = await make_person(world)
        response = await world.post(
            "lm_nurse",
            f"{HR}/drug-tests",
            {"person_id": person, "tested_at": ago(hours=1), "result": "refused"},
        )
        assert response.status_code == 201, response.text
    finally:
        pm.unregister(name="listener")
    [event] = listener.events
    assert (str(event.person_id), event.data) == (
        person,
        {"result": "refused", "drug_test_id": response.json()["id"]},
    )
    async with db(world) as session:
        keys = (await session.scalars(select(OutboxEntry.key))).all()
    # The request was written in the test's own transaction.
    assert f"listener:{response.json()['id']}" in keys


async def test_the_overdose_risk_page(world):
    person = await make_person(world, liberation_date=local_today().isoformat())
    page = await world.get("lm_nurse", "/t/low-moss/harm-reduction/overdose-risk")
    assert page.status_code == 200, page.text
    assert f"/persons/{person}" in page.text and "No kit" in page.text
    officer = await world.get("lm_officer", "/t/low-moss/harm-reduction/overdose-risk")
    assert f"/persons/{person}" not in officer.text
    await set_plugins(world, "low-moss", ["housing"])
    assert (
        await world.get("lm_nurse", "/t/low-moss/harm-reduction/overdose-risk")
    ).status_code == 404


async def test_a_positive_test_refers_even_where_healthcare_has_no_relation(world):
    # The referral is the partnership's rule, not the tester's case-notes write: a nurse whose
    # organisation has no decided relation with the person still makes it, and gains none.
    response = await world.post(
        "lm_worker",
        f"{T}/low-moss/persons",
        {"given_name": "Rule", "family_name": "Made", "date_of_birth": "1990-02-02"},
    )
    person = response.json()["id"]
    tested = await world.post(
        "lm_nurse",
        f"{HR}/drug-tests",
        {"person_id": person, "tested_at": ago(hours=1), "result": "positive"},
    )
    assert tested.status_code == 201, tested.text
    referral_id = uuid.UUID(tested.json()["referral_id"])
    async with db(world) as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "create",
                AuditEvent.record_type == "referral",
                AuditEvent.record_id == referral_id,
            )
        )
        assert event is not None and "positive drug test" in (event.rule or "")
    listed = await world.get("lm_nurse", f"{LM}/referrals", params={"person_id": person})
    assert listed.json()["items"] == []
