"""Referrals over the public API: the five-working-day due date in the tenant's calendar,
re-referral into the open episode or a new linked one, decisions (a declined offer is kept
and may close the episode), the overdue list, tenancy, bad input and audit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership
from core.assessments.models import Assessment
from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.episodes.models import Episode, PhaseChange
from core.referrals.models import Referral

LM = "/api/v1/t/low-moss"
LC = "/api/v1/t/leicester"
REFERRALS = f"{LM}/referrals"
EPISODES = f"{LM}/episodes"


@asynccontextmanager
async def db(world) -> AsyncIterator[AsyncSession]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def count(world, model: Any, **where: Any) -> int:
    async with db(world) as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return await session.scalar(stmt)


async def audit_rows(world, **where: Any) -> list[AuditEvent]:
    async with db(world) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.at)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list((await session.scalars(stmt)).all())


def tenant_id(world, slug: str) -> uuid.UUID:
    return world.tenants[slug].id


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ago(**delta: float) -> str:
    return iso(datetime.now(UTC) - timedelta(**delta))


async def make_person(
    world, username: str = "lm_worker", base: str = LM, family_name: str = "Referred"
) -> str:
    response = await world.post(
        username,
        f"{base}/persons",
        {"given_name": "Sam", "family_name": family_name, "date_of_birth": "1988-03-04"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def refer(
    world, person_id: str, username: str = "lm_officer", base: str = LM, **fields: Any
) -> dict[str, Any]:
    body = {"person_id": person_id, "source": "staff_concern", **fields}
    response = await world.post(username, f"{base}/referrals", body)
    assert response.status_code == 201, response.text
    return response.json()


async def decide(world, referral_id: str, decision: str, username: str = "lm_worker", **kw: Any):
    return await world.post(
        username, f"{REFERRALS}/{referral_id}/decision", {"decision": decision, **kw}
    )


async def episode(world, episode_id: str, username: str = "lm_worker") -> dict[str, Any]:
    response = await world.get(username, f"{EPISODES}/{episode_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def move(world, episode_id: str, to: str, reason: str | None = None):
    body = {"to": to, **({"reason": reason} if reason else {})}
    return await world.post("lm_worker", f"{EPISODES}/{episode_id}/phase", body)


async def add_assessment(world, referral: dict[str, Any], kind: str = "comprehensive") -> None:
    async with db(world) as session:
        session.add(
            Assessment(
                tenant_id=tenant_id(world, "low-moss"),
                person_id=uuid.UUID(referral["person_id"]),
                episode_id=uuid.UUID(referral["episode_id"]),
                referral_id=uuid.UUID(referral["id"]),
                organisation_id=uuid.UUID(world.org_id("low-moss", "turning-point-scotland")),
                kind=kind,
                category="substance_use",
                completed_at=datetime.now(UTC),
            )
        )
        await session.commit()


# --- create ------------------------------------------------------------------------------


async def test_first_referral_opens_an_episode_with_the_scottish_due_date(world):
    person = await make_person(world)
    sacro = world.org_id("low-moss", "sacro")
    # Thu 27 Nov 2025; St Andrew's Day (Sun 30 Nov) is observed on Mon 1 Dec in Scotland.
    created = await world.post(
        "lm_officer",
        REFERRALS,
        {
            "person_id": person,
            "source": "staff_concern",
            "received_at": "2025-11-27T09:15:00+00:00",
            "referring_organisation_id": sacro,
            "reason": "  Night report: found unresponsive, revived  ",
            "offered_appointment_at": "2025-11-28T10:00:00Z",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["assessment_due_on"] == "2025-12-05"
    assert body["source"] == "staff_concern"
    assert body["reason"] == "Night report: found unresponsive, revived"
    assert body["referring_organisation_id"] == sacro
    assert body["created_by"] == str(world.users["lm_officer"].id)
    assert body["decision"] is None and body["decided_at"] is None
    assert datetime.fromisoformat(body["received_at"]) == datetime(2025, 11, 27, 9, 15, tzinfo=UTC)

    opened = await episode(world, body["episode_id"])
    assert opened["person_id"] == person
    assert opened["phase"] == "referral"
    assert opened["previous_episode_id"] is None
    assert [(h["from_phase"], h["to_phase"]) for h in opened["history"]] == [(None, "referral")]
    assert opened["history"][0]["changed_by"] == str(world.users["lm_officer"].id)

    assert [e.action for e in await audit_rows(world, record_type="referral")] == ["create"]
    created_events = await audit_rows(world, record_type="episode", action="create")
    assert [str(e.record_id) for e in created_events] == [body["episode_id"]]
    assert str(created_events[0].person_id) == person


async def test_english_partnership_counts_english_bank_holidays(world):
    person = await make_person(world, "lc_worker", LC)
    # The same Thursday in Leicester: Mon 1 Dec 2025 is a working day in England.
    body = await refer(
        world, person, "lc_worker", LC, received_at="2025-11-27T09:15:00+00:00", source="self"
    )
    assert body["assessment_due_on"] == "2025-12-04"


async def test_due_date_counts_from_the_uk_calendar_day(world):
    person = await make_person(world)
    # 23:30 UTC on Tue 30 Jun 2026 is 00:30 BST on Wed 1 Jul: counted from the Wednesday.
    body = await refer(world, person, received_at="2026-06-30T23:30:00+00:00")
    assert body["assessment_due_on"] == "2026-07-08"


async def test_received_at_defaults_to_now(world):
    person = await make_person(world)
    body = await refer(world, person, source="positive_drug_test")
    received = datetime.fromisoformat(body["received_at"])
    assert abs(datetime.now(UTC) - received) < timedelta(minutes=1)
    assert date.fromisoformat(body["assessment_due_on"]) > received.date()


# --- re-referral -------------------------------------------------------------------------


async def test_re_referral_joins_the_open_episode(world):
    person = await make_person(world)
    first = await refer(world, person, source="positive_drug_test")
    assert (await move(world, first["episode_id"], "assessment")).status_code == 200
    second = await refer(world, person, source="self")
    assert second["episode_id"] == first["episode_id"]
    assert await count(world, Episode, person_id=uuid.UUID(person)) == 1
    # Another person's referral opens their own episode.
    other = await refer(world, await make_person(world, family_name="Other"))
    assert other["episode_id"] != first["episode_id"]


async def test_re_referral_after_closure_opens_a_new_linked_episode(world):
    person = await make_person(world)
    first = await refer(world, person)
    closed = await move(world, first["episode_id"], "closed", "Liberated, did not engage")
    assert closed.status_code == 200, closed.text

    second = await refer(world, person, source="pre_release_meeting")
    assert second["episode_id"] != first["episode_id"]
    new = await episode(world, second["episode_id"])
    assert new["phase"] == "referral"
    assert new["previous_episode_id"] == first["episode_id"]
    assert [(h["from_phase"], h["to_phase"]) for h in new["history"]] == [(None, "referral")]
    # The old episode is untouched.
    old = await episode(world, first["episode_id"])
    assert old["phase"] == "closed" and old["closed_reason"] == "Liberated, did not engage"

    # Referred again and again: each new episode links to the one just before it.
    assert (await move(world, second["episode_id"], "closed")).status_code == 200
    third = await refer(world, person, source="self")
    assert (await episode(world, third["episode_id"]))["previous_episode_id"] == second[
        "episode_id"
    ]
    assert await count(world, Episode, person_id=uuid.UUID(person)) == 3
    assert await count(world, Referral, person_id=uuid.UUID(person)) == 3


# --- decisions ---------------------------------------------------------------------------


async def test_declined_offer_is_kept_and_closes_the_referral_stage_episode(world):
    person = await make_person(world)
    referral = await refer(world, person, source="positive_drug_test")

    declined = await decide(world, referral["id"], "declined", notes=" Does not want support ")
    assert declined.status_code == 200, declined.text
    body = declined.json()
    assert body["decision"] == "declined"
    assert body["decided_by"] == str(world.users["lm_worker"].id)
    assert body["decision_notes"] == "Does not want support"
    assert abs(datetime.now(UTC) - datetime.fromisoformat(body["decided_at"])) < timedelta(
        minutes=1
    )

    # Kept: still readable and listed.
    kept = await world.get("lm_worker", f"{REFERRALS}/{referral['id']}")
    assert kept.status_code == 200 and kept.json()["decision"] == "declined"
    listed = await world.get("lm_worker", REFERRALS, params={"decision": "declined"})
    assert [r["id"] for r in listed.json()["items"]] == [referral["id"]]

    closed = await episode(world, referral["episode_id"])
    assert closed["phase"] == "closed"
    assert closed["closed_reason"] == "offer declined"
    assert closed["closed_at"] is not None
    assert [(h["from_phase"], h["to_phase"], h["reason"]) for h in closed["history"]] == [
        (None, "referral", "referred"),
        ("referral", "closed", "offer declined"),
    ]
    updates = await audit_rows(world, record_type="referral", action="update")
    assert [e.detail["decision"] for e in updates] == ["declined"]
    assert updates[0].detail["episode_closed"] is True


async def test_decline_leaves_the_episode_open_while_another_referral_is_undeclined(world):
    person = await make_person(world)
    first = await refer(world, person, source="staff_concern")
    second = await refer(world, person, source="self")
    assert (await decide(world, first["id"], "declined")).status_code == 200
    assert (await episode(world, first["episode_id"]))["phase"] == "referral"
    # The last undeclined referral declined too: nothing is left to act on.
    assert (await decide(world, second["id"], "declined")).status_code == 200
    assert (await episode(world, first["episode_id"]))["phase"] == "closed"


async def test_decline_after_the_referral_stage_does_not_close_the_episode(world):
    person = await make_person(world)
    referral = await refer(world, person)
    assert (await move(world, referral["episode_id"], "assessment")).status_code == 200
    assert (await decide(world, referral["id"], "declined")).status_code == 200
    kept_open = await episode(world, referral["episode_id"])
    assert kept_open["phase"] == "assessment" and kept_open["closed_at"] is None


async def test_accepted_offer_keeps_the_episode_in_its_phase(world):
    person = await make_person(world)
    referral = await refer(world, person)
    accepted = await decide(world, referral["id"], "full_support")
    assert accepted.status_code == 200 and accepted.json()["decision"] == "full_support"
    assert (await episode(world, referral["episode_id"]))["phase"] == "referral"


async def test_deciding_twice_is_a_conflict_and_changes_nothing(world):
    person = await make_person(world)
    referral = await refer(world, person)
    assert (await decide(world, referral["id"], "brief_intervention")).status_code == 200
    again = await decide(world, referral["id"], "declined", username="lm_lead")
    assert again.status_code == 409, again.text
    assert "already decided" in again.json()["detail"]
    assert "brief_intervention" in again.json()["detail"]
    still = (await world.get("lm_worker", f"{REFERRALS}/{referral['id']}")).json()
    assert still["decision"] == "brief_intervention"
    assert still["decided_by"] == str(world.users["lm_worker"].id)
    assert (await episode(world, referral["episode_id"]))["phase"] == "referral"
    assert len(await audit_rows(world, record_type="referral", action="update")) == 1


async def test_support_cannot_be_offered_on_a_closed_episode(world):
    person = await make_person(world)
    referral = await refer(world, person)
    assert (await move(world, referral["episode_id"], "closed", "Transferred")).status_code == 200
    refused = await decide(world, referral["id"], "full_support")
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    assert (await world.get("lm_worker", f"{REFERRALS}/{referral['id']}")).json()[
        "decision"
    ] is None
    # A declined offer can still be recorded against it.
    assert (await decide(world, referral["id"], "declined")).status_code == 200


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "declined", "why": "no"}, "why"),
        ({"decision": "declined", "notes": 42}, "notes"),
        ({"decision": "declined", "notes": "   "}, "notes"),
    ],
)
async def test_bad_decision_bodies(world, body, name):
    person = await make_person(world)
    referral = await refer(world, person)
    response = await world.post("lm_worker", f"{REFERRALS}/{referral['id']}/decision", body)
    assert response.status_code == 400, response.text
    assert name in response.text
    unchanged = (await world.get("lm_worker", f"{REFERRALS}/{referral['id']}")).json()
    assert unchanged["decision"] is None


# --- read, update ------------------------------------------------------------------------


async def test_read_and_update_a_referral(world):
    person = await make_person(world)
    nhs = world.org_id("low-moss", "nhs-ggc")
    referral = await refer(
        world,
        person,
        received_at=ago(days=1),
        reason="Self-referred by app",
        referring_organisation_id=nhs,
    )
    url = f"{REFERRALS}/{referral['id']}"
    # The lead makes the NHS the episode's lead partner: a decision (issue 13), after which
    # the NHS works with the person.
    led = await world.patch(
        "lm_lead", f"{EPISODES}/{referral['episode_id']}", {"lead_organisation_id": nhs}
    )
    assert led.status_code == 200, led.text

    read = await world.get("lm_nurse", url)
    assert read.status_code == 200 and read.json() == referral

    appointment = iso(datetime.now(UTC) + timedelta(days=2))
    wise = world.org_id("low-moss", "wise-group")
    changes = {
        "reason": " In-cell phone call ",
        "offered_appointment_at": appointment,
        "referring_organisation_id": wise,
    }
    changed = await world.patch("lm_worker", url, changes)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["reason"] == "In-cell phone call"
    assert datetime.fromisoformat(body["offered_appointment_at"]) == datetime.fromisoformat(
        appointment
    )
    assert body["referring_organisation_id"] == wise
    assert body["source"] == referral["source"]  # not given, not changed
    assert body["assessment_due_on"] == referral["assessment_due_on"]

    cleared = await world.patch("lm_worker", url, {"reason": None})
    assert cleared.status_code == 200 and cleared.json()["reason"] is None
    assert cleared.json()["referring_organisation_id"] == wise

    events = await audit_rows(world, record_type="referral")
    assert [e.action for e in events] == ["create", "read", "update", "update"]
    assert events[2].detail["fields"] == [
        "offered_appointment_at",
        "reason",
        "referring_organisation_id",
    ]
    assert events[1].user_id == world.users["lm_nurse"].id
    assert all(str(e.person_id) == person for e in events)


async def test_impossible_update_leaves_the_referral_unchanged(world):
    person = await make_person(world)
    referral = await refer(world, person, received_at=ago(days=1), reason="Original")
    url = f"{REFERRALS}/{referral['id']}"
    bad = await world.patch(
        "lm_worker", url, {"reason": "Changed", "offered_appointment_at": ago(days=3)}
    )
    assert bad.status_code == 422 and "offered_appointment_at" in bad.text
    leicester_org = world.org_id("leicester", "turning-point")
    elsewhere = await world.patch(
        "lm_worker", url, {"reason": "Changed", "referring_organisation_id": leicester_org}
    )
    assert elsewhere.status_code == 404
    unknown = await world.patch("lm_worker", url, {"source": "self"})
    assert unknown.status_code == 400 and "source" in unknown.text
    again = (await world.get("lm_worker", url)).json()
    assert again["reason"] == "Original" and again["referring_organisation_id"] is None
    assert await audit_rows(world, record_type="referral", action="update") == []


# --- list --------------------------------------------------------------------------------


async def test_list_newest_first_with_filters_and_keyset_pages(world):
    alex = await make_person(world, family_name="Alex")
    blair = await make_person(world, family_name="Blair")
    made = []
    for i, source in enumerate(["self", "healthcare", "self", "positive_drug_test", "self"]):
        person = alex if i % 2 == 0 else blair
        made.append(await refer(world, person, source=source, received_at=ago(days=10 - i)))
    await decide(world, made[1]["id"], "brief_intervention")

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await world.get("lm_worker", REFERRALS, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["id"] for r in reversed(made)]

    async def ids(**params: Any) -> list[str]:
        response = await world.get("lm_worker", REFERRALS, params=params)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert await ids(person_id=blair) == [made[3]["id"], made[1]["id"]]
    assert await ids(source="self") == [made[4]["id"], made[2]["id"], made[0]["id"]]
    assert await ids(decision="brief_intervention") == [made[1]["id"]]
    assert await ids(episode_id=made[0]["episode_id"]) == [
        made[4]["id"],
        made[2]["id"],
        made[0]["id"],
    ]
    assert await ids(person_id=alex, source="healthcare") == []

    lists = await audit_rows(world, record_type="referral", action="list")
    assert len(lists) == 8  # 3 pages + 5 filtered lists: one event each
    assert lists[-1].detail["returned"] == 0


async def test_overdue_list(world):
    person = await make_person(world)
    # Received a month ago: all of these were due weeks ago.
    waiting = await refer(world, person, received_at=ago(days=31), source="self")
    accepted = await refer(world, person, received_at=ago(days=30), source="healthcare")
    assessed = await refer(world, person, received_at=ago(days=29), source="staff_concern")
    screened = await refer(world, person, received_at=ago(days=28), source="community")
    declined = await refer(world, person, received_at=ago(days=27), source="self")
    fresh = await refer(world, person, source="positive_drug_test")
    await decide(world, accepted["id"], "full_support")  # a decision does not end the wait
    await decide(world, declined["id"], "declined")
    await add_assessment(world, assessed, "comprehensive")
    # The five-day standard is the initial assessment: a screening meets it (issue 10).
    await add_assessment(world, screened, "screening")

    overdue = await world.get("lm_worker", REFERRALS, params={"overdue": "true"})
    assert overdue.status_code == 200, overdue.text
    assert [r["id"] for r in overdue.json()["items"]] == [accepted["id"], waiting["id"]]
    not_overdue = await world.get("lm_worker", REFERRALS, params={"overdue": "false"})
    assert [r["id"] for r in not_overdue.json()["items"]] == [
        fresh["id"],
        declined["id"],
        screened["id"],
        assessed["id"],
    ]
    combined = await world.get(
        "lm_worker", REFERRALS, params={"overdue": "true", "source": "healthcare"}
    )
    assert [r["id"] for r in combined.json()["items"]] == [accepted["id"]]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"source": "carrier_pigeon"}, "source"),
        ({"decision": "perhaps"}, "decision"),
        ({"overdue": "sometimes"}, "overdue"),
        ({"person_id": "not-a-uuid"}, "person_id"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
    ],
)
async def test_bad_list_parameters(world, params, name):
    response = await world.get("lm_worker", REFERRALS, params=params)
    assert response.status_code == 400, response.text
    assert name in response.text


# --- tenancy -----------------------------------------------------------------------------


async def test_another_partnership_cannot_refer_read_or_decide(world):
    person = await make_person(world)
    referral = await refer(world, person)
    before = await count(world, Referral), await count(world, Episode)

    # A Leicester worker naming a Low Moss person in their own partnership: not found.
    cross = await world.post(
        "lc_worker", f"{LC}/referrals", {"person_id": person, "source": "self"}
    )
    assert cross.status_code == 404
    # ... nor can they use Low Moss's URLs at all.
    assert (await world.get("lc_worker", REFERRALS)).status_code == 404
    assert (await world.get("lc_worker", f"{REFERRALS}/{referral['id']}")).status_code == 404
    assert (await world.get("lc_worker", f"{LC}/referrals/{referral['id']}")).status_code == 404
    assert (
        await world.post(
            "lc_worker", f"{LC}/referrals/{referral['id']}/decision", {"decision": "declined"}
        )
    ).status_code == 404
    assert (
        await world.patch("lc_worker", f"{LC}/referrals/{referral['id']}", {"reason": "x"})
    ).status_code == 404
    assert (
        await world.get("lc_worker", f"{LC}/referrals", params={"person_id": person})
    ).status_code == 404
    own = await world.get("lc_worker", f"{LC}/referrals")
    assert own.status_code == 200 and own.json()["items"] == []
    assert (await world.get("admin", REFERRALS)).status_code == 404

    # A Low Moss referral naming a Leicester partner as the referrer: not found either.
    leicester_org = world.org_id("leicester", "turning-point")
    bad_org = await world.post(
        "lm_officer",
        REFERRALS,
        {"person_id": person, "source": "self", "referring_organisation_id": leicester_org},
    )
    assert bad_org.status_code == 404

    assert (await count(world, Referral), await count(world, Episode)) == before
    assert (await world.get("lm_worker", f"{REFERRALS}/{referral['id']}")).json()[
        "decision"
    ] is None
    assert await audit_rows(world, record_type="referral", action="update") == []


async def test_a_lapsed_member_cannot_refer(world):
    person = await make_person(world)
    async with db(world) as session:
        membership = await session.scalar(
            select(Membership).where(Membership.user_id == world.users["lm_officer"].id)
        )
        membership.is_active = False
        await session.commit()
    response = await world.post("lm_officer", REFERRALS, {"person_id": person, "source": "self"})
    assert response.status_code == 404
    assert await count(world, Referral) == 0


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "name"),
    [
        ({"colour": "blue"}, 400, "colour"),
        ({"person_id": 12345}, 400, "person_id"),
        ({"person_id": None}, 400, "person_id"),
        ({"source": "carrier_pigeon"}, 400, "source"),
        ({"source": None}, 400, "source"),
        ({"received_at": "2026-01-05T10:00:00"}, 400, "received_at"),  # no time zone
        ({"received_at": "yesterday"}, 400, "received_at"),
        ({"reason": ""}, 400, "reason"),
        ({"reason": "x" * 4001}, 400, "reason"),
        ({"referring_organisation_id": "sacro"}, 400, "referring_organisation_id"),
        ({"received_at": "2999-01-01T00:00:00Z"}, 422, "received_at"),
        ({"received_at": "1980-01-01T00:00:00Z"}, 422, "received_at"),  # before birth
        (
            {
                "received_at": "2026-01-05T10:00:00Z",
                "offered_appointment_at": "2026-01-04T10:00:00Z",
            },
            422,
            "offered_appointment_at",
        ),
    ],
)
async def test_bad_referral_bodies(world, change, status, name):
    person = await make_person(world)
    body = {"person_id": person, "source": "self", **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await world.post("lm_officer", REFERRALS, body)
    assert response.status_code == status, response.text
    assert name in response.text
    assert "Traceback" not in response.text
    assert await count(world, Referral) == 0
    assert await count(world, Episode) == 0
    assert await count(world, PhaseChange) == 0
    assert await audit_rows(world, record_type="episode") == []


async def test_unknown_person_is_404_and_nothing_written(world):
    response = await world.post(
        "lm_officer", REFERRALS, {"person_id": str(uuid.uuid4()), "source": "self"}
    )
    assert response.status_code == 404
    assert "Person" in response.json()["detail"]
    assert await count(world, Referral) == 0 and await count(world, Episode) == 0


async def test_unknown_referral_is_404(world):
    missing = f"{REFERRALS}/{uuid.uuid4()}"
    assert (await world.get("lm_worker", missing)).status_code == 404
    assert (await world.patch("lm_worker", missing, {"reason": "x"})).status_code == 404
    decided = await world.post("lm_worker", f"{missing}/decision", {"decision": "declined"})
    assert decided.status_code == 404
    assert (await world.get("lm_worker", f"{REFERRALS}/not-a-uuid")).status_code in (400, 404)


# --- the sharing protocol ----------------------------------------------------------------


async def test_referrals_are_withheld_from_partners_who_do_not_work_with_the_person(world):
    person = await make_person(world)
    referral = await refer(world, person, reason="Night report")
    url = f"{REFERRALS}/{referral['id']}"

    # Referrals are case notes; the NHS reads those of people it works with only.
    assert (await world.get("lm_nurse", REFERRALS)).json()["items"] == []
    mine = await world.get("lm_nurse", REFERRALS, params={"person_id": person})
    assert mine.status_code == 200 and mine.json()["items"] == []
    refused = await world.get("lm_nurse", url)
    assert refused.status_code == 403
    assert "case notes only for people their organisation works with" in refused.text
    (denial,) = await audit_rows(world, action="deny")
    assert (denial.record_type, denial.user_id) == ("case_notes", world.users["lm_nurse"].id)
    assert denial.detail["action"] == "read"
    assert [e.action for e in await audit_rows(world, record_type="referral")] == [
        "create",
        "list",
        "list",
    ]
    # A person nobody may know of is the plain 404, not a hint.
    ghost = await world.get("lm_nurse", REFERRALS, params={"person_id": str(uuid.uuid4())})
    assert ghost.status_code == 404


async def test_a_referring_partner_works_with_the_person_once_the_referral_is_accepted(world):
    person = await make_person(world)
    nhs = world.org_id("low-moss", "nhs-ggc")
    assert (await world.get("lm_nurse", REFERRALS)).json()["items"] == []
    referral = await refer(world, person, source="healthcare", referring_organisation_id=nhs)
    # Recording a referral is no decision (issue 13): the referrer gains nothing yet.
    assert (await world.get("lm_nurse", REFERRALS)).json()["items"] == []
    accepted = await decide(world, referral["id"], "full_support")
    assert accepted.status_code == 200, accepted.text
    assert [r["id"] for r in (await world.get("lm_nurse", REFERRALS)).json()["items"]] == [
        referral["id"]
    ]
    # Naming a partner as the referrer later links it no more than any other write.
    other = await make_person(world, family_name="Later")
    late = await refer(world, other)
    changed = await world.patch(
        "lm_officer", f"{REFERRALS}/{late['id']}", {"referring_organisation_id": nhs}
    )
    assert changed.status_code == 200, changed.text
    assert (await world.get("lm_nurse", f"{REFERRALS}/{late['id']}")).status_code == 403


async def test_writing_a_referral_without_the_write_is_403_and_changes_nothing(world):
    person = await make_person(world)
    referral = await refer(world, person)

    # Sacro writes case notes only for people it works with.
    created = await world.post("lm_sacro", REFERRALS, {"person_id": person, "source": "self"})
    assert created.status_code == 403
    assert "write on case notes" in created.json()["detail"]
    decided = await decide(world, referral["id"], "declined", username="lm_sacro")
    assert decided.status_code == 403
    patched = await world.patch("lm_sacro", f"{REFERRALS}/{referral['id']}", {"reason": "x"})
    assert patched.status_code == 403

    assert await count(world, Referral) == 1 and await count(world, Episode) == 1
    after = (await world.get("lm_worker", f"{REFERRALS}/{referral['id']}")).json()
    assert after["decision"] is None and after["reason"] is None
    denials = await audit_rows(world, action="deny")
    assert [(e.record_type, e.detail["action"]) for e in denials] == [("case_notes", "write")] * 3
    assert {e.user_id for e in denials} == {world.users["lm_sacro"].id}
    assert await audit_rows(world, record_type="referral", action="update") == []
