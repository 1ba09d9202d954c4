"""Family support over the public API: contacts only under an active family consent,
sessions logged, family days planned before release and listed by date, tenancy,
the plugin switched off, bad input and audit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.clock import today as local_today
from core.db.engine import make_engine, make_session_factory
from core.tenancy.models import Tenant
from plugins.family_support.models import FamilyContact

T = "/api/v1/t"
LM = f"{T}/low-moss"
LC = f"{T}/leicester"
FS = f"{LM}/family-support"


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


async def give_consent(
    world,
    person_id: str,
    *,
    tenant: str = "low-moss",
    org: str = "turning-point-scotland",
    category: str = "family",
    user: str = "lm_worker",
) -> str:
    response = await world.post(
        user,
        f"{T}/{tenant}/persons/{person_id}/consents",
        {
            "category": category,
            "recipient_organisation_id": world.org_id(tenant, org),
            "purpose": "Family support before and after release",
            "lawful_basis": "consent",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


CONTACT = {"name": "Margaret  Example", "relationship": "parent", "phone": "07700 900123"}


async def set_plugins(world, slug: str, plugins: list[str]) -> None:
    async with db(world) as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
        tenant.config = {**tenant.config, "plugins": plugins}
        await session.commit()


# ---------------------------------------------------------------- contacts and consent


async def test_a_contact_needs_an_active_family_consent(world):
    person = await make_person(world)
    url = f"{FS}/persons/{person}/contacts"

    refused = await world.post("lm_worker", url, CONTACT)
    assert refused.status_code == 422, refused.text
    assert "consent" in refused.json()["detail"]
    assert refused.json()["extra"][0]["key"] == "person_id"

    # Consent to another category, or to share family information with another partner,
    # is not consent to this partner holding the family's details.
    await give_consent(world, person, category="housing")
    await give_consent(world, person, org="sacro")
    assert (await world.post("lm_worker", url, CONTACT)).status_code == 422

    consent = await give_consent(world, person)
    created = await world.post("lm_worker", url, CONTACT)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Margaret Example"
    assert body["relationship"] == "parent"
    assert body["consent_id"] == consent
    assert body["organisation_id"] == world.org_id("low-moss", "turning-point-scotland")

    listed = await world.get("lm_worker", url)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [body["id"]]
    one = await world.get("lm_worker", f"{FS}/contacts/{body['id']}")
    assert one.status_code == 200
    assert one.json()["phone"] == "07700 900123"

    # Withdrawal takes effect at once: no new contact, and the family's details are no
    # longer shared with this partner.
    withdrawn = await world.post(
        "lm_worker", f"{LM}/persons/{person}/consents/{consent}/withdraw", {}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await world.post("lm_worker", url, CONTACT)).status_code == 422
    assert (await world.get("lm_worker", url)).status_code == 403
    assert (await world.get("lm_worker", f"{FS}/contacts/{body['id']}")).status_code == 403

    created_events = await audit_rows(world, action="create", record_type="family_contact")
    assert [e.record_id for e in created_events] == [uuid.UUID(body["id"])]
    # The contact's name never reaches the audit trail.
    assert "Margaret" not in str(created_events[0].detail)
    reads = await audit_rows(world, action="read", record_type="family_contact")
    assert [e.record_id for e in reads] == [uuid.UUID(body["id"])]
    lists = await audit_rows(world, action="list", record_type="family_contact")
    assert [e.person_id for e in lists] == [uuid.UUID(person)]


async def test_a_consent_to_the_partner_kind_counts(world):
    person = await make_person(world)
    response = await world.post(
        "lm_worker",
        f"{LM}/persons/{person}/consents",
        {
            "category": "family",
            "recipient_kind": "third_sector",
            "purpose": "Family support",
            "lawful_basis": "consent",
        },
    )
    assert response.status_code == 201
    created = await world.post("lm_worker", f"{FS}/persons/{person}/contacts", CONTACT)
    assert created.status_code == 201, created.text


async def test_contacts_page(world):
    person = await make_person(world)
    await give_consent(world, person)
    ids = []
    for n in range(3):
        response = await world.post(
            "lm_worker",
            f"{FS}/persons/{person}/contacts",
            {"name": f"Relative {n}", "relationship": "sibling"},
        )
        ids.append(response.json()["id"])
    first = await world.get("lm_worker", f"{FS}/persons/{person}/contacts", params={"limit": 2})
    assert len(first.json()["items"]) == 2
    cursor = first.json()["next_cursor"]
    assert cursor
    second = await world.get(
        "lm_worker", f"{FS}/persons/{person}/contacts", params={"limit": 2, "cursor": cursor}
    )
    seen = [c["id"] for c in first.json()["items"] + second.json()["items"]]
    assert sorted(seen) == sorted(ids)
    assert second.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"relationship": "parent"}, "name"),
        ({"name": "  ", "relationship": "parent"}, "name"),
        ({"name": "A", "relationship": "landlord"}, "relationship"),
        ({"name": "A", "relationship": "parent", "phone": "call me"}, "phone"),
        ({"name": "A", "relationship": "parent", "address": "x"}, "address"),
    ],
)
async def test_bad_contact_bodies(world, body, field):
    person = await make_person(world)
    await give_consent(world, person)
    response = await world.post("lm_worker", f"{FS}/persons/{person}/contacts", body)
    assert response.status_code == 400, response.text
    assert field in response.text


# ---------------------------------------------------------------- sessions


async def test_sessions_are_logged_with_the_persons_own_contact(world):
    person = await make_person(world)
    other = await make_person(world)
    await give_consent(world, person)
    await give_consent(world, other)
    contact = (await world.post("lm_worker", f"{FS}/persons/{person}/contacts", CONTACT)).json()[
        "id"
    ]
    strangers = (await world.post("lm_worker", f"{FS}/persons/{other}/contacts", CONTACT)).json()[
        "id"
    ]
    url = f"{FS}/persons/{person}/sessions"
    when = (datetime.now(UTC) - timedelta(days=1)).isoformat()

    wrong = await world.post(
        "lm_worker", url, {"kind": "phone", "occurred_at": when, "contact_id": strangers}
    )
    assert wrong.status_code == 422
    assert wrong.json()["extra"][0]["key"] == "contact_id"

    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (
        await world.post("lm_worker", url, {"kind": "phone", "occurred_at": future})
    ).status_code == 422
    naive = await world.post("lm_worker", url, {"kind": "phone", "occurred_at": "2026-01-01T10:00"})
    assert naive.status_code == 400

    logged = await world.post(
        "lm_worker",
        url,
        {"kind": "visit", "occurred_at": when, "contact_id": contact, "duration_minutes": 45},
    )
    assert logged.status_code == 201, logged.text
    listed = (await world.get("lm_worker", url)).json()["items"]
    assert [(s["id"], s["kind"], s["contact_id"]) for s in listed] == [
        (logged.json()["id"], "visit", contact)
    ]
    assert await audit_rows(world, action="create", record_type="family_session")


# ---------------------------------------------------------------- family days


async def test_family_days_are_planned_before_release_and_listed_by_date(world):
    today = local_today()
    release = today + timedelta(days=20)
    soon = await make_person(world, liberation_date=release.isoformat())
    later = await make_person(world, liberation_date=(today + timedelta(days=40)).isoformat())
    no_date = await make_person(world)
    for person in (soon, later, no_date):
        await give_consent(world, person)
    url = f"{FS}/family-days"

    refused = await world.post(
        "lm_worker", url, {"person_id": no_date, "planned_on": today.isoformat()}
    )
    assert refused.status_code == 422
    assert "liberation date" in refused.json()["detail"]
    after = await world.post(
        "lm_worker",
        url,
        {"person_id": soon, "planned_on": (release + timedelta(days=1)).isoformat()},
    )
    assert after.status_code == 422
    assert after.json()["extra"][0]["key"] == "planned_on"
    past = await world.post(
        "lm_worker",
        url,
        {"person_id": soon, "planned_on": (today - timedelta(days=1)).isoformat()},
    )
    assert past.status_code == 422

    first = await world.post(
        "lm_worker",
        url,
        {
            "person_id": later,
            "planned_on": (today + timedelta(days=30)).isoformat(),
            "location": "Visits hall",
        },
    )
    assert first.status_code == 201, first.text
    second = await world.post(
        "lm_worker",
        url,
        {"person_id": soon, "planned_on": (release - timedelta(days=7)).isoformat()},
    )
    assert second.status_code == 201, second.text
    assert second.json()["liberation_date"] == release.isoformat()

    listed = (await world.get("lm_worker", url)).json()["items"]
    assert [d["id"] for d in listed] == [second.json()["id"], first.json()["id"]]
    window = await world.get(
        "lm_worker", url, params={"to": (today + timedelta(days=20)).isoformat()}
    )
    assert [d["id"] for d in window.json()["items"]] == [second.json()["id"]]
    bad_window = await world.get(
        "lm_worker",
        url,
        params={"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()},
    )
    assert bad_window.status_code == 400

    cancelled = await world.patch(
        "lm_worker", f"{url}/{first.json()['id']}", {"status": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text
    planned = await world.get("lm_worker", url, params={"status": "planned"})
    assert [d["id"] for d in planned.json()["items"]] == [second.json()["id"]]
    # A cancelled day is not changed again: a new one is planned instead.
    assert (
        await world.patch("lm_worker", f"{url}/{first.json()['id']}", {"status": "held"})
    ).status_code == 422

    due = await world.get("lm_worker", f"{url}/due", params={"weeks": 8})
    due_ids = [p["person_id"] for p in due.json()["items"]]
    # "soon" has a family day; "later" had one, but it was cancelled.
    assert later in due_ids and soon not in due_ids and no_date not in due_ids
    assert (await world.get("lm_worker", f"{url}/due", params={"weeks": 0})).status_code == 400
    assert await audit_rows(world, action="update", record_type="family_day")


# ---------------------------------------------------------------- tenancy, switch, sharing


async def test_without_family_read_nothing_is_seen(world):
    """The sharing engine's guarantee for ``family``: the nurse has no family grant, and
    Sacro has no consent, so neither sees a contact or a family day, in a list or a record."""
    today = local_today()
    person = await make_person(world, liberation_date=(today + timedelta(days=10)).isoformat())
    await give_consent(world, person)
    contact = (await world.post("lm_worker", f"{FS}/persons/{person}/contacts", CONTACT)).json()[
        "id"
    ]
    day = await world.post(
        "lm_worker",
        f"{FS}/family-days",
        {"person_id": person, "planned_on": (today + timedelta(days=3)).isoformat()},
    )
    assert day.status_code == 201, day.text
    assert len((await world.get("lm_worker", f"{FS}/family-days")).json()["items"]) == 1

    for user in ("lm_nurse", "lm_sacro"):
        one = await world.get(user, f"{FS}/contacts/{contact}")
        assert one.status_code == 403, (user, one.text)
        listed = await world.get(user, f"{FS}/persons/{person}/contacts")
        assert listed.status_code == 403, user
        assert "Margaret" not in listed.text
        days = await world.get(user, f"{FS}/family-days")
        assert days.status_code == 200
        assert days.json()["items"] == [], user
        due = await world.get(user, f"{FS}/family-days/due")
        assert person not in [p["person_id"] for p in due.json()["items"]]
        write = await world.post(user, f"{FS}/persons/{person}/contacts", CONTACT)
        assert write.status_code in (403, 422), user
    denials = await audit_rows(world, action="deny", person_id=uuid.UUID(person))
    assert {e.record_type for e in denials} == {"family"}


async def test_leicester_never_reaches_low_moss_family_data(world):
    person = await make_person(world)
    await give_consent(world, person)
    contact = (await world.post("lm_worker", f"{FS}/persons/{person}/contacts", CONTACT)).json()[
        "id"
    ]
    lc = f"{LC}/family-support"
    assert (await world.get("lc_worker", f"{lc}/contacts/{contact}")).status_code == 404
    assert (await world.get("lc_worker", f"{lc}/persons/{person}/contacts")).status_code == 404
    assert (
        await world.post("lc_worker", f"{lc}/persons/{person}/contacts", CONTACT)
    ).status_code == 404
    assert (await world.get("lc_worker", f"{FS}/contacts/{contact}")).status_code == 404
    listed = await world.get("lc_worker", f"{lc}/family-days", params={"from": "2000-01-01"})
    assert listed.json()["items"] == []


async def test_switched_off_the_routes_answer_404(world):
    person = await make_person(world)
    await give_consent(world, person)
    assert (await world.get("lm_worker", f"{FS}/persons/{person}/contacts")).status_code == 200
    await set_plugins(world, "low-moss", ["housing", "peer_mentoring", "harm_reduction"])
    for url in (f"{FS}/persons/{person}/contacts", f"{FS}/family-days", f"{FS}/family-days/due"):
        response = await world.get("lm_worker", url)
        assert response.status_code == 404, url
    assert (
        await world.post("lm_worker", f"{FS}/persons/{person}/contacts", CONTACT)
    ).status_code == 404
    async with db(world) as session:
        assert (await session.scalars(select(FamilyContact))).all() == []
    # Leicester keeps it.
    lc_person = await make_person(world, tenant="leicester", user="lc_worker")
    await give_consent(world, lc_person, tenant="leicester", org="turning-point", user="lc_worker")
    assert (
        await world.get("lc_worker", f"{LC}/family-support/persons/{lc_person}/contacts")
    ).status_code == 200


async def test_report_metrics_count_people_in_the_period(world):
    from plugins.family_support.metrics import people_with_a_family_day, people_with_family_support

    person = await make_person(world)
    await give_consent(world, person)
    for days in (1, 2):
        response = await world.post(
            "lm_worker",
            f"{FS}/persons/{person}/sessions",
            {
                "kind": "phone",
                "occurred_at": (datetime.now(UTC) - timedelta(days=days)).isoformat(),
            },
        )
        assert response.status_code == 201
    tenant = world.tenants["low-moss"].id
    today = local_today()
    async with db(world) as session:
        week = today - timedelta(days=7)
        assert await people_with_family_support(session, tenant, week, today) == 1
        assert await people_with_family_support(session, tenant, week, week) == 0
        assert await people_with_a_family_day(session, tenant, week, today) == 0


# ---------------------------------------------------------------- hooks: panel, protocol, demo


async def _actor(world, username: str, tenant: str = "low-moss"):
    from core.authz.actor import CurrentUser, resolve_actor

    user = world.users[username]
    async with db(world) as session:
        return await resolve_actor(
            session, CurrentUser(user.id, user.username, user.display_name, False), tenant
        )


async def test_panel_navigation_and_protocol_lines(world):
    from core.authz.access import make_access
    from core.authz.protocol import Vocabulary, parse
    from core.plugins import get_plugin_manager, tenant_hook
    from core.settings import PROJECT_ROOT
    from core.vocabulary import tenant_categories
    from plugins.family_support import register_protocol_lines

    pm = get_plugin_manager()
    [panel] = [
        p
        for answer in tenant_hook(pm, "register_person_panels", ["family_support"])()
        for p in answer
        if p.name == "family_support"
    ]
    assert panel.category == "family"
    assert (PROJECT_ROOT / "plugins" / "family_support" / "templates" / panel.template).is_file()
    nav = [n for a in tenant_hook(pm, "register_navigation", ["family_support"])() for n in a]
    assert any(n.path == "family-support/family-days" for n in nav)

    person = await make_person(world)
    await give_consent(world, person)
    await world.post("lm_worker", f"{FS}/persons/{person}/contacts", CONTACT)
    actor = await _actor(world, "lm_worker")
    async with db(world) as session:
        access = await make_access(session, actor, world.client.app.state)
        context = await panel.load(session, access, uuid.UUID(person))
    assert [c.name for c in context["contacts"]] == ["Margaret Example"]
    reads = await audit_rows(world, action="read", record_type="family_panel")
    assert [e.person_id for e in reads] == [uuid.UUID(person)]

    for slug in ("low-moss", "leicester"):
        tenant = world.tenants[slug]
        vocabulary = Vocabulary(
            domain=slug,
            roles=frozenset(tenant.roles),
            categories=frozenset(tenant_categories(pm, tenant.plugins)),
        )
        rules, _ = parse("\n".join(register_protocol_lines(slug)), vocabulary)
        assert {r.category for r in rules} == {"family"}


async def test_demo_rows_obey_the_rules(world):
    from random import Random

    from core.consents.models import Consent
    from core.hooktypes import DemoContext
    from plugins.family_support.demo import load_demo
    from plugins.family_support.models import FamilyDay

    today = local_today()
    people = [
        await make_person(world, liberation_date=(today + timedelta(days=d)).isoformat())
        for d in (5, 20, 90)
    ]
    tenant = world.tenants["low-moss"]
    async with db(world) as session:
        await load_demo(
            DemoContext(
                session=session,
                tenant_id=tenant.id,
                tenant_slug="low-moss",
                random=Random(7),
                organisations={
                    slug: org.id
                    for (t, slug), org in world.organisations.items()
                    if t == "low-moss"
                },
                users={"lowmoss.families.worker": world.users["lm_worker"].id},
                persons=[uuid.UUID(p) for p in people],
            )
        )
        await session.commit()
        contacts = (await session.scalars(select(FamilyContact))).all()
        days = (await session.scalars(select(FamilyDay))).all()
        # Everyone due out within eight weeks has family work, every contact its consent.
        assert {str(c.person_id) for c in contacts} >= set(people[:2])
        for contact in contacts:
            consent = await session.get(Consent, (tenant.id, contact.consent_id))
            assert consent.category == "family" and consent.withdrawn_at is None
        persons = {str(p): p for p in people}
        for day in days:
            assert str(day.person_id) in persons
            assert today <= day.planned_on


async def test_the_family_days_page(world):
    today = local_today()
    person = await make_person(world, liberation_date=(today + timedelta(days=9)).isoformat())
    await give_consent(world, person)
    page = await world.get("lm_worker", "/t/low-moss/family-support/family-days")
    assert page.status_code == 200, page.text
    assert "Family days" in page.text
    # Due out in nine days with no family day: listed with a link to the record.
    assert f"/t/low-moss/persons/{person}" in page.text
    assert (
        f"/t/low-moss/persons/{person}"
        not in (await world.get("lm_nurse", "/t/low-moss/family-support/family-days")).text
    )
    await set_plugins(world, "low-moss", ["housing"])
    assert (
        await world.get("lm_worker", "/t/low-moss/family-support/family-days")
    ).status_code == 404
