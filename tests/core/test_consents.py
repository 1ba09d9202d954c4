"""Consents over the public API: record, list, read, withdraw (at once), tenancy, bad input.

The helpers at the top are shared with test_assessments.py and test_plans.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.app import create_app
from core.audit.models import AuditEvent
from core.consents.models import Consent
from core.consents.services import active_consents
from core.db.engine import make_engine, make_session_factory
from core.episodes.models import Episode, Phase
from core.hookspecs import hookimpl
from core.plugins import build_plugin_manager
from core.referrals.models import Referral

T = "/api/v1/t"
LM = f"{T}/low-moss"
LC = f"{T}/leicester"


# ---------------------------------------------------------------- shared helpers


@asynccontextmanager
async def db(world) -> AsyncIterator[AsyncSession]:
    """A session of its own on the test database, outside any request."""
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
        **body,
    }
    response = await world.post(user, f"{T}/{tenant}/persons", person)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def tenant_id(world, tenant: str) -> uuid.UUID:
    return world.tenants[tenant].id


async def make_episode(
    world, person_id: str, tenant: str = "low-moss", phase: Phase = Phase.ASSESSMENT
) -> str:
    async with db(world) as session:
        episode = Episode(
            tenant_id=tenant_id(world, tenant),
            person_id=uuid.UUID(person_id),
            phase=phase,
            closed_at=datetime.now(UTC) if phase == Phase.CLOSED else None,
        )
        session.add(episode)
        await session.commit()
        return str(episode.id)


async def make_referral(world, person_id: str, episode_id: str, tenant: str = "low-moss") -> str:
    async with db(world) as session:
        referral = Referral(
            tenant_id=tenant_id(world, tenant),
            person_id=uuid.UUID(person_id),
            episode_id=uuid.UUID(episode_id),
            source="positive_drug_test",
            received_at=datetime.now(UTC) - timedelta(days=2),
            assessment_due_on=date.today() + timedelta(days=5),
        )
        session.add(referral)
        await session.commit()
        return str(referral.id)


async def refer_from(world, person_id: str, organisation: str, user: str = "lm_worker") -> str:
    """A referral from ``organisation`` (through the API): from then on it works with the
    person, the own_organisation scope of the protocol. Returns the referral's episode."""
    response = await world.post(
        user,
        f"{LM}/referrals",
        {
            "person_id": person_id,
            "source": "staff_concern",
            "referring_organisation_id": world.org_id("low-moss", organisation),
        },
    )
    assert response.status_code == 201, response.text
    # Recording a referral makes no relation; the lead accepting it does (issue 13).
    accepted = await world.post(
        "lm_lead",
        f"{LM}/referrals/{response.json()['id']}/decision",
        {"decision": "full_support"},
    )
    assert accepted.status_code == 200, accepted.text
    return response.json()["episode_id"]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def consent_body(world, **overrides: Any) -> dict[str, Any]:
    return {
        "category": "substance_use",
        "recipient_organisation_id": world.org_id("low-moss", "nhs-ggc"),
        "purpose": "Continuity of care on release",
        "lawful_basis": "consent",
        **overrides,
    }


def consents_url(person_id: str, tenant_url: str = LM) -> str:
    return f"{tenant_url}/persons/{person_id}/consents"


# ---------------------------------------------------------------- the happy paths


async def test_record_list_and_read_consents(world):
    person = await make_person(world)
    url = consents_url(person)
    nhs = world.org_id("low-moss", "nhs-ggc")

    named = await world.post("lm_worker", url, consent_body(world))
    assert named.status_code == 201, named.text
    by_name = named.json()
    assert by_name["recipient_organisation_id"] == nhs
    assert by_name["recipient_kind"] is None
    assert by_name["person_id"] == person
    assert by_name["active"] is True
    assert by_name["withdrawn_at"] is None
    assert by_name["recorded_by"] == str(world.users["lm_worker"].id)
    given = datetime.fromisoformat(by_name["given_at"])
    assert abs(datetime.now(UTC) - given) < timedelta(minutes=1)  # given_at defaults to now

    kind = await world.post(
        "lm_worker",
        url,
        consent_body(
            world,
            recipient_organisation_id=None,
            recipient_kind="local_authority",
            category="housing",
            lawful_basis="public_task",
            given_at=iso(datetime.now(UTC) - timedelta(days=3)),
            expires_at=iso(datetime.now(UTC) + timedelta(days=300)),
        ),
    )
    assert kind.status_code == 201, kind.text
    by_kind = kind.json()
    assert by_kind["recipient_kind"] == "local_authority"
    assert by_kind["recipient_organisation_id"] is None
    assert by_kind["lawful_basis"] == "public_task"

    listed = await world.get("lm_worker", url)
    assert listed.status_code == 200
    page = listed.json()
    # Newest given first: the consent given now comes before the one given three days ago.
    assert [c["id"] for c in page["items"]] == [by_name["id"], by_kind["id"]]
    assert page["next_cursor"] is None

    housing = (await world.get("lm_worker", url, params={"category": "housing"})).json()
    assert [c["id"] for c in housing["items"]] == [by_kind["id"]]

    one = await world.get("lm_worker", f"{url}/{by_kind['id']}")
    assert one.status_code == 200
    assert one.json() == by_kind

    events = await audit_rows(world, record_type="consent")
    assert [e.action for e in events] == ["create", "create", "list", "list", "read"]
    assert {e.person_id for e in events} == {uuid.UUID(person)}
    assert events[0].record_id == uuid.UUID(by_name["id"])
    assert events[0].detail["recipient_organisation_id"] == nhs
    assert events[-1].record_id == uuid.UUID(by_kind["id"])
    assert all(e.user_id == world.users["lm_worker"].id for e in events)


async def test_withdrawal_takes_effect_at_once_and_only_once(world):
    person = await make_person(world)
    url = consents_url(person)
    consent = (await world.post("lm_worker", url, consent_body(world))).json()
    kept = (await world.post("lm_worker", url, consent_body(world, category="housing"))).json()
    # Sacro referred the person: a partner that works with them may record the withdrawal.
    await refer_from(world, person, "sacro")

    withdrawn = await world.post(
        "lm_sacro", f"{url}/{consent['id']}/withdraw", {"reason": "Asked us to stop"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert body["active"] is False
    assert body["withdrawn_by"] == str(world.users["lm_sacro"].id)
    assert abs(datetime.now(UTC) - datetime.fromisoformat(body["withdrawn_at"])) < timedelta(
        minutes=1
    )

    active = (await world.get("lm_worker", url, params={"active": "true"})).json()["items"]
    assert [c["id"] for c in active] == [kept["id"]]
    inactive = (await world.get("lm_worker", url, params={"active": "false"})).json()["items"]
    assert [c["id"] for c in inactive] == [consent["id"]]
    assert (await world.get("lm_worker", f"{url}/{consent['id']}")).json()["active"] is False

    async with db(world) as session:
        in_force = await active_consents(
            session, tenant_id(world, "low-moss"), uuid.UUID(person), datetime.now(UTC)
        )
    assert [c.id for c in in_force] == [uuid.UUID(kept["id"])]

    again = await world.post("lm_worker", f"{url}/{consent['id']}/withdraw")
    assert again.status_code == 409, again.text
    # The second attempt changed nothing: the first withdrawal's time and author stand.
    still = (await world.get("lm_worker", f"{url}/{consent['id']}")).json()
    assert still["withdrawn_at"] == body["withdrawn_at"]
    assert still["withdrawn_by"] == str(world.users["lm_sacro"].id)

    withdrawals = await audit_rows(world, record_type="consent", action="withdraw")
    assert len(withdrawals) == 1
    assert withdrawals[0].record_id == uuid.UUID(consent["id"])
    assert withdrawals[0].detail["reason"] == "Asked us to stop"
    assert withdrawals[0].user_id == world.users["lm_sacro"].id


async def test_withdraw_without_a_body(world):
    person = await make_person(world)
    url = consents_url(person)
    consent = (await world.post("lm_worker", url, consent_body(world))).json()
    response = await world.post("lm_worker", f"{url}/{consent['id']}/withdraw")
    assert response.status_code == 200, response.text
    assert response.json()["withdrawn_at"] is not None
    (event,) = await audit_rows(world, action="withdraw")
    assert event.detail["reason"] is None


async def test_expired_consent_is_not_active(world):
    person = await make_person(world)
    url = consents_url(person)
    now = datetime.now(UTC)
    expired = await world.post(
        "lm_worker",
        url,
        consent_body(
            world,
            given_at=iso(now - timedelta(days=30)),
            expires_at=iso(now - timedelta(days=1)),
        ),
    )
    assert expired.status_code == 201, expired.text
    assert expired.json()["active"] is False
    assert (await world.get("lm_worker", url, params={"active": "true"})).json()["items"] == []
    inactive = (await world.get("lm_worker", url, params={"active": "false"})).json()["items"]
    assert [c["id"] for c in inactive] == [expired.json()["id"]]

    async with db(world) as session:
        tid, pid = tenant_id(world, "low-moss"), uuid.UUID(person)
        assert await active_consents(session, tid, pid, now) == []
        # Asked about a moment before it expired, the same consent was in force.
        earlier = await active_consents(session, tid, pid, now - timedelta(days=2))
        assert [c.id for c in earlier] == [uuid.UUID(expired.json()["id"])]
        assert await active_consents(session, tid, pid, now - timedelta(days=2), category="x") == []


async def test_list_pages_newest_first(world):
    person = await make_person(world)
    url = consents_url(person)
    now = datetime.now(UTC)
    made = []
    for days in range(5):
        body = consent_body(world, given_at=iso(now - timedelta(days=days, hours=1)))
        made.append((await world.post("lm_worker", url, body)).json()["id"])

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await world.get("lm_worker", url, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        pages += 1
        if cursor is None:
            break
    assert seen == made  # made newest first
    assert pages == 3


@pytest.mark.parametrize(
    ("params", "name"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"cursor": "!!"}, "cursor")],
)
async def test_bad_list_parameters(world, params, name):
    person = await make_person(world)
    response = await world.get("lm_worker", consents_url(person), params=params)
    assert response.status_code == 400
    assert name in response.text


async def test_active_filter_must_be_a_boolean(world):
    person = await make_person(world)
    response = await world.get("lm_worker", consents_url(person), params={"active": "maybe"})
    assert response.status_code == 400
    assert "active" in response.text


async def test_a_plugin_category_is_accepted(world):
    class FinancePartner:
        @hookimpl
        def register_sharing_categories(self) -> list[str]:
            return ["finance"]

    pm = build_plugin_manager()
    pm.register(FinancePartner(), name="finance-partner")
    person = await make_person(world)
    async with AsyncTestClient(app=create_app(world.settings, plugin_manager=pm)) as client:
        response = await client.post(
            consents_url(person),
            json=consent_body(world, category="finance"),
            headers=world.auth("lm_worker"),
        )
    assert response.status_code == 201, response.text
    assert response.json()["category"] == "finance"
    # The app without that plugin does not know the category.
    refused = await world.post(
        "lm_worker", consents_url(person), consent_body(world, category="finance")
    )
    assert refused.status_code == 422 and "category" in refused.text


# ---------------------------------------------------------------- bad input


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


FUTURE = datetime.now(UTC) + timedelta(days=2)
PAST = datetime.now(UTC) - timedelta(days=2)


@pytest.mark.parametrize(
    ("change", "status", "names"),
    [
        (lambda b: {**b, "signature": "x"}, 400, ["signature"]),
        (lambda b: {**b, "purpose": 42}, 400, ["purpose"]),
        (lambda b: {**b, "purpose": "   "}, 400, ["purpose"]),
        (lambda b: {**b, "lawful_basis": "because"}, 400, ["lawful_basis"]),
        (lambda b: _without(b, "lawful_basis"), 400, ["lawful_basis"]),
        (lambda b: _without(b, "category"), 400, ["category"]),
        (lambda b: {**b, "recipient_kind": "church"}, 400, ["recipient_kind"]),
        (lambda b: {**b, "recipient_organisation_id": "nhs"}, 400, ["recipient_organisation_id"]),
        (lambda b: {**b, "given_at": "2026-01-01T10:00:00"}, 400, ["given_at"]),  # naive
        (lambda b: {**b, "expires_at": "tomorrow"}, 400, ["expires_at"]),
        (lambda b: {**b, "category": "gossip"}, 422, ["category"]),
        (
            lambda b: {**b, "recipient_kind": "nhs"},
            422,
            ["recipient_organisation_id", "recipient_kind"],
        ),
        (
            lambda b: _without(b, "recipient_organisation_id"),
            422,
            ["recipient_organisation_id", "recipient_kind"],
        ),
        (lambda b: {**b, "given_at": iso(FUTURE)}, 422, ["given_at"]),
        (lambda b: {**b, "given_at": iso(PAST), "expires_at": iso(PAST)}, 422, ["expires_at"]),
        (
            lambda b: {**b, "given_at": iso(PAST), "expires_at": iso(PAST - timedelta(days=1))},
            422,
            ["expires_at"],
        ),
    ],
)
async def test_bad_consent_bodies(world, change, status, names):
    person = await make_person(world)
    response = await world.post("lm_worker", consents_url(person), change(consent_body(world)))
    assert response.status_code == status, response.text
    for name in names:
        assert name in response.text
    assert "Traceback" not in response.text
    assert await count(world, Consent) == 0
    assert await audit_rows(world, record_type="consent") == []


async def test_bad_withdraw_body(world):
    person = await make_person(world)
    url = consents_url(person)
    consent = (await world.post("lm_worker", url, consent_body(world))).json()
    response = await world.post("lm_worker", f"{url}/{consent['id']}/withdraw", {"why": "x"})
    assert response.status_code == 400 and "why" in response.text
    assert (await world.get("lm_worker", f"{url}/{consent['id']}")).json()["active"] is True


# ---------------------------------------------------------------- tenancy and ownership


async def test_other_tenant_cannot_see_or_touch_consents(world):
    person = await make_person(world)
    url = consents_url(person)
    consent = (await world.post("lm_worker", url, consent_body(world))).json()

    # Not a member of Low Moss: every route is 404.
    assert (await world.get("lc_worker", url)).status_code == 404
    assert (await world.get("lc_worker", f"{url}/{consent['id']}")).status_code == 404
    assert (await world.post("lc_worker", url, consent_body(world))).status_code == 404
    withdraw = await world.post("lc_worker", f"{url}/{consent['id']}/withdraw")
    assert withdraw.status_code == 404
    # Through their own tenant, Low Moss's person does not exist.
    own = consents_url(person, LC)
    assert (await world.get("lc_worker", own)).status_code == 404
    assert (await world.get("lc_worker", f"{own}/{consent['id']}")).status_code == 404
    assert (await world.post("lc_worker", own, consent_body(world))).status_code == 404
    assert (await world.post("lc_worker", f"{own}/{consent['id']}/withdraw")).status_code == 404
    # The platform admin is not a partner.
    assert (await world.get("admin", url)).status_code == 404

    assert await count(world, Consent) == 1
    assert (await world.get("lm_worker", f"{url}/{consent['id']}")).json()["active"] is True
    assert {e.action for e in await audit_rows(world, record_type="consent")} == {
        "create",
        "read",
    }


async def test_recipient_from_another_tenant_is_not_found(world):
    person = await make_person(world)
    body = consent_body(world, recipient_organisation_id=world.org_id("leicester", "turning-point"))
    response = await world.post("lm_worker", consents_url(person), body)
    assert response.status_code == 404, response.text
    unknown = consent_body(world, recipient_organisation_id=str(uuid.uuid4()))
    assert (await world.post("lm_worker", consents_url(person), unknown)).status_code == 404
    assert await count(world, Consent) == 0


async def test_consent_is_reached_only_through_its_own_person(world):
    alice = await make_person(world)
    bob = await make_person(world)
    consent = (await world.post("lm_worker", consents_url(alice), consent_body(world))).json()
    assert (await world.get("lm_worker", f"{consents_url(bob)}/{consent['id']}")).status_code == 404
    wrong = await world.post("lm_worker", f"{consents_url(bob)}/{consent['id']}/withdraw")
    assert wrong.status_code == 404
    assert (await world.get("lm_worker", consents_url(bob))).json()["items"] == []
    missing = consents_url(str(uuid.uuid4()))
    assert (await world.get("lm_worker", missing)).status_code == 404
    assert (await world.post("lm_worker", missing, consent_body(world))).status_code == 404
    assert (await world.get("lm_worker", f"{consents_url(alice)}/{consent['id']}")).json()["active"]


# ---------------------------------------------------------------- the sharing protocol


async def test_consents_are_withheld_from_partners_who_do_not_work_with_the_person(world):
    person = await make_person(world)
    url = consents_url(person)
    consent = (await world.post("lm_worker", url, consent_body(world))).json()

    # The NHS reads case notes (consents are case notes) only of people it works with.
    listed = await world.get("lm_nurse", url)
    assert listed.status_code == 200 and listed.json()["items"] == []
    one = await world.get("lm_nurse", f"{url}/{consent['id']}")
    assert one.status_code == 403
    assert "their organisation works with" in one.json()["detail"]
    (denial,) = await audit_rows(world, action="deny")
    assert (denial.record_type, denial.user_id) == ("case_notes", world.users["lm_nurse"].id)
    assert [e.action for e in await audit_rows(world, record_type="consent")] == [
        "create",
        "list",
    ]

    # Once the NHS works with the person (it referred them), it reads them.
    await refer_from(world, person, "nhs-ggc")
    assert [c["id"] for c in (await world.get("lm_nurse", url)).json()["items"]] == [consent["id"]]
    assert (await world.get("lm_nurse", f"{url}/{consent['id']}")).status_code == 200


async def test_recording_or_withdrawing_without_the_write_is_403_and_changes_nothing(world):
    person = await make_person(world)
    url = consents_url(person)
    consent = (await world.post("lm_worker", url, consent_body(world))).json()

    refused = await world.post("lm_sacro", url, consent_body(world, category="housing"))
    assert refused.status_code == 403
    assert "their organisation works with" in refused.json()["detail"]
    withdraw = await world.post("lm_sacro", f"{url}/{consent['id']}/withdraw")
    assert withdraw.status_code == 403

    assert await count(world, Consent) == 1
    assert (await world.get("lm_worker", f"{url}/{consent['id']}")).json()["active"] is True
    denials = await audit_rows(world, action="deny")
    assert [(e.record_type, e.detail["action"]) for e in denials] == [
        ("case_notes", "write"),
        ("case_notes", "write"),
    ]
    assert {e.user_id for e in denials} == {world.users["lm_sacro"].id}
    assert {e.action for e in await audit_rows(world, record_type="consent")} == {"create", "read"}


async def test_withdrawn_consent_stops_sharing_on_the_very_next_request(world):
    """Sacro reads case notes across the partnership only with consent: once it is
    withdrawn, the consents themselves (case notes) vanish from Sacro's next request."""
    person = await make_person(world)
    url = consents_url(person)
    given = await world.post(
        "lm_worker",
        url,
        consent_body(
            world,
            category="case_notes",
            recipient_organisation_id=world.org_id("low-moss", "sacro"),
        ),
    )
    assert given.status_code == 201
    consent_id = given.json()["id"]
    assert [c["id"] for c in (await world.get("lm_sacro", url)).json()["items"]] == [consent_id]
    assert (await world.get("lm_sacro", f"{url}/{consent_id}")).status_code == 200

    assert (await world.post("lm_worker", f"{url}/{consent_id}/withdraw")).status_code == 200
    assert (await world.get("lm_sacro", url)).json()["items"] == []
    assert (await world.get("lm_sacro", f"{url}/{consent_id}")).status_code == 403


async def test_a_partner_cannot_grant_itself_access_by_recording_a_consent(world):
    """The prison writes case notes across the partnership, and reads substance use with
    consent: recording that consent itself, for someone it does not work with, is refused."""
    person = await make_person(world)
    to_prison = consent_body(world, recipient_organisation_id=None, recipient_kind="prison")
    refused = await world.post("lm_officer", consents_url(person), to_prison)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Only a partner that works with the person")
    assert await count(world, Consent) == 0
    (denial,) = await audit_rows(world, action="deny")
    assert (denial.record_type, denial.user_id) == ("consent", world.users["lm_officer"].id)
    assert str(denial.person_id) == person

    # Once the prison works with the person (it referred them), it records consents.
    await refer_from(world, person, "sps-low-moss")
    recorded = await world.post("lm_officer", consents_url(person), to_prison)
    assert recorded.status_code == 201, recorded.text
