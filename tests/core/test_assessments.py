"""Assessments over the public API: screening, comprehensive and risk; links to the person's
referral and episode; risk levels; tenancy; bad input; audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.assessments.models import Assessment
from tests.core.test_consents import (
    LC,
    LM,
    audit_rows,
    consent_body,
    consents_url,
    count,
    iso,
    make_episode,
    make_person,
    make_referral,
)

URL = f"{LM}/assessments"
RISKS = {"risk_self_harm": "low", "risk_harm_to_others": "medium", "risk_overdose": "high"}


async def test_screening_linked_to_a_referral(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    referral = await make_referral(world, person, episode)

    created = await world.post(
        "lm_nurse",
        URL,
        {
            "person_id": person,
            "kind": "screening",
            "referral_id": referral,
            "summary": " AUDIT 12 ",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "screening"
    assert body["category"] == "substance_use"
    assert body["organisation_id"] == world.org_id("low-moss", "nhs-ggc")  # the nurse's partner
    assert body["completed_by"] == str(world.users["lm_nurse"].id)
    assert body["referral_id"] == referral
    assert body["episode_id"] == episode  # taken from the referral
    assert body["summary"] == "AUDIT 12"
    assert body["risk_self_harm"] is None
    completed = datetime.fromisoformat(body["completed_at"])
    assert abs(datetime.now(UTC) - completed) < timedelta(minutes=1)  # defaults to now

    read = await world.get("lm_worker", f"{URL}/{body['id']}")
    assert read.status_code == 200
    assert read.json() == body

    events = await audit_rows(world, record_type="assessment")
    assert [e.action for e in events] == ["create", "read"]
    assert all(e.record_id == uuid.UUID(body["id"]) for e in events)
    assert all(e.person_id == uuid.UUID(person) for e in events)
    assert events[0].user_id == world.users["lm_nurse"].id
    assert events[0].organisation_id == uuid.UUID(world.org_id("low-moss", "nhs-ggc"))
    assert events[1].user_id == world.users["lm_worker"].id


async def test_risk_assessment_is_in_the_risk_category(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    completed_at = datetime.now(UTC) - timedelta(days=1)
    created = await world.post(
        "lm_worker",
        URL,
        {
            "person_id": person,
            "kind": "risk",
            "episode_id": episode,
            "completed_at": iso(completed_at),
            **RISKS,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["category"] == "risk"
    assert body["organisation_id"] == world.org_id("low-moss", "turning-point-scotland")
    assert body["episode_id"] == episode and body["referral_id"] is None
    assert {k: body[k] for k in RISKS} == RISKS
    assert datetime.fromisoformat(body["completed_at"]) == completed_at


async def test_comprehensive_without_episode_or_referral(world):
    person = await make_person(world)
    created = await world.post("lm_worker", URL, {"person_id": person, "kind": "comprehensive"})
    assert created.status_code == 201, created.text
    assert created.json()["category"] == "substance_use"
    assert created.json()["episode_id"] is None


async def test_list_filters_and_pages(world):
    alice = await make_person(world)
    bob = await make_person(world)
    now = datetime.now(UTC)
    made: dict[str, list[str]] = {"alice": [], "bob": []}
    for hours, (who, kind) in enumerate(
        [
            ("alice", "screening"),
            ("alice", "risk"),
            ("bob", "screening"),
            ("alice", "comprehensive"),
            ("alice", "screening"),
        ]
    ):
        person = alice if who == "alice" else bob
        body = {
            "person_id": person,
            "kind": kind,
            "completed_at": iso(now - timedelta(hours=hours)),
        }
        if kind == "risk":
            body |= RISKS
        response = await world.post("lm_worker", URL, body)
        assert response.status_code == 201, response.text
        made[who].append(response.json()["id"])

    everything = (await world.get("lm_worker", URL)).json()
    assert len(everything["items"]) == 5

    seen: list[str] = []
    cursor = None
    while True:
        params = {"person_id": alice, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await world.get("lm_worker", URL, params=params)).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made["alice"]  # newest completed first

    screenings = (
        await world.get("lm_worker", URL, params={"person_id": alice, "kind": "screening"})
    ).json()["items"]
    assert [a["id"] for a in screenings] == [made["alice"][0], made["alice"][3]]
    assert all(a["person_id"] == alice for a in screenings)

    lists = await audit_rows(world, record_type="assessment", action="list")
    assert len(lists) == 4
    assert lists[-1].person_id == uuid.UUID(alice)
    assert lists[-1].detail["kind"] == "screening"
    assert lists[-1].detail["returned"] == 2


async def test_list_by_referral(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    referral = await make_referral(world, person, episode)
    linked = await world.post(
        "lm_worker", URL, {"person_id": person, "kind": "comprehensive", "referral_id": referral}
    )
    await world.post("lm_worker", URL, {"person_id": person, "kind": "screening"})
    items = (await world.get("lm_worker", URL, params={"referral_id": referral})).json()["items"]
    assert [a["id"] for a in items] == [linked.json()["id"]]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"kind": "gut_feeling"}, "kind"),
        ({"person_id": "someone"}, "person_id"),
        ({"limit": 0}, "limit"),
        ({"limit": 500}, "limit"),
        ({"cursor": "nope!"}, "cursor"),
    ],
)
async def test_bad_list_parameters(world, params, name):
    response = await world.get("lm_worker", URL, params=params)
    assert response.status_code == 400, response.text
    assert name in response.text


async def test_update_summary_and_risk_levels(world):
    person = await make_person(world)
    risk = (
        await world.post("lm_worker", URL, {"person_id": person, "kind": "risk", **RISKS})
    ).json()
    changed = await world.patch(
        "lm_worker", f"{URL}/{risk['id']}", {"risk_overdose": "low", "summary": "Reviewed"}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["risk_overdose"] == "low"
    assert body["risk_self_harm"] == "low" and body["risk_harm_to_others"] == "medium"
    assert body["summary"] == "Reviewed"
    again = (await world.get("lm_worker", f"{URL}/{risk['id']}")).json()
    assert again["risk_overdose"] == "low" and again["summary"] == "Reviewed"

    cleared = await world.patch("lm_worker", f"{URL}/{risk['id']}", {"summary": None})
    assert cleared.status_code == 200 and cleared.json()["summary"] is None

    updates = await audit_rows(world, record_type="assessment", action="update")
    assert [e.detail["fields"] for e in updates] == [["risk_overdose", "summary"], ["summary"]]
    assert all(e.record_id == uuid.UUID(risk["id"]) for e in updates)


async def test_update_refuses_risk_levels_on_a_screening(world):
    person = await make_person(world)
    screening = (
        await world.post("lm_worker", URL, {"person_id": person, "kind": "screening"})
    ).json()
    refused = await world.patch(
        "lm_worker", f"{URL}/{screening['id']}", {"summary": "x", "risk_overdose": "high"}
    )
    assert refused.status_code == 422, refused.text
    assert "risk_overdose" in refused.text
    unchanged = (await world.get("lm_worker", f"{URL}/{screening['id']}")).json()
    assert unchanged["summary"] is None and unchanged["risk_overdose"] is None
    assert await audit_rows(world, record_type="assessment", action="update") == []


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"risk_self_harm": None}, "risk_self_harm"),  # levels can change, not be cleared
        ({"risk_overdose": "extreme"}, "risk_overdose"),
        ({"kind": "screening"}, "kind"),
        ({"summary": 7}, "summary"),
    ],
)
async def test_bad_update_bodies(world, body, name):
    person = await make_person(world)
    risk = (
        await world.post("lm_worker", URL, {"person_id": person, "kind": "risk", **RISKS})
    ).json()
    response = await world.patch("lm_worker", f"{URL}/{risk['id']}", body)
    assert response.status_code == 400, response.text
    assert name in response.text
    assert (await world.get("lm_worker", f"{URL}/{risk['id']}")).json() == risk


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("change", "status", "names"),
    [
        (lambda b: {**b, "score": 3}, 400, ["score"]),
        (lambda b: {**b, "kind": "horoscope"}, 400, ["kind"]),
        (lambda b: _without(b, "kind"), 400, ["kind"]),
        (lambda b: _without(b, "person_id"), 400, ["person_id"]),
        (lambda b: {**b, "person_id": 12}, 400, ["person_id"]),
        (lambda b: {**b, "completed_at": "2026-01-01T09:00:00"}, 400, ["completed_at"]),
        (lambda b: {**b, "summary": ""}, 400, ["summary"]),
        (lambda b: {**b, "risk_overdose": "severe"}, 400, ["risk_overdose"]),
        (
            lambda b: {**b, "completed_at": iso(datetime.now(UTC) + timedelta(days=1))},
            422,
            ["completed_at"],
        ),
        (lambda b: {**b, "risk_self_harm": "low"}, 422, ["risk_self_harm"]),
        (lambda b: {**b, "kind": "risk"}, 422, ["risk_self_harm"]),
        (
            lambda b: {**b, "kind": "risk", **_without(RISKS, "risk_overdose")},
            422,
            ["risk_overdose"],
        ),
        (
            lambda b: {**b, "kind": "risk", **_without(RISKS, "risk_harm_to_others")},
            422,
            ["risk_harm_to_others"],
        ),
    ],
)
async def test_bad_assessment_bodies(world, change, status, names):
    person = await make_person(world)
    response = await world.post(
        "lm_worker", URL, change({"person_id": person, "kind": "screening"})
    )
    assert response.status_code == status, response.text
    for name in names:
        assert name in response.text
    assert "Traceback" not in response.text
    assert await count(world, Assessment) == 0
    assert await audit_rows(world, record_type="assessment") == []


async def test_referral_and_episode_must_be_the_persons(world):
    alice = await make_person(world)
    bob = await make_person(world)
    alice_episode = await make_episode(world, alice)
    alice_other_episode = await make_episode(world, alice)
    alice_referral = await make_referral(world, alice, alice_episode)

    cases = [
        ({"person_id": bob, "referral_id": alice_referral}, "referral_id"),
        ({"person_id": bob, "episode_id": alice_episode}, "episode_id"),
        (
            {"person_id": alice, "referral_id": alice_referral, "episode_id": alice_other_episode},
            "episode_id",
        ),
    ]
    for body, name in cases:
        response = await world.post("lm_worker", URL, {"kind": "comprehensive", **body})
        assert response.status_code == 422, response.text
        assert name in response.text
    assert await count(world, Assessment) == 0

    both = await world.post(
        "lm_worker",
        URL,
        {
            "kind": "comprehensive",
            "person_id": alice,
            "referral_id": alice_referral,
            "episode_id": alice_episode,
        },
    )
    assert both.status_code == 201, both.text


async def test_other_tenant_gets_404_and_nothing_is_written(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    referral = await make_referral(world, person, episode)
    mine = (await world.post("lm_worker", URL, {"person_id": person, "kind": "screening"})).json()

    body = {"person_id": person, "kind": "screening"}
    assert (await world.post("lc_worker", URL, body)).status_code == 404
    assert (await world.get("lc_worker", URL)).status_code == 404
    assert (await world.get("lc_worker", f"{URL}/{mine['id']}")).status_code == 404
    assert (
        await world.patch("lc_worker", f"{URL}/{mine['id']}", {"summary": "x"})
    ).status_code == 404

    theirs = f"{LC}/assessments"
    assert (await world.post("lc_worker", theirs, body)).status_code == 404
    assert (await world.get("lc_worker", f"{theirs}/{mine['id']}")).status_code == 404
    patched = await world.patch("lc_worker", f"{theirs}/{mine['id']}", {"summary": "x"})
    assert patched.status_code == 404
    assert (await world.get("lc_worker", theirs, params={"person_id": person})).status_code == 404
    assert (await world.get("lc_worker", theirs)).json()["items"] == []

    # A Leicester person cannot be tied to Low Moss's referral or episode, and vice versa.
    lc_person = await make_person(world, tenant="leicester", user="lc_worker")
    for link in ({"referral_id": referral}, {"episode_id": episode}):
        response = await world.post(
            "lc_worker", theirs, {"person_id": lc_person, "kind": "screening", **link}
        )
        assert response.status_code == 404, response.text
    assert (await world.get("admin", URL)).status_code == 404

    assert await count(world, Assessment) == 1
    assert (await world.get("lm_worker", f"{URL}/{mine['id']}")).json()["summary"] is None
    assert {e.action for e in await audit_rows(world, record_type="assessment")} == {
        "create",
        "read",
        "list",
    }


async def test_unknown_ids_are_not_found(world):
    person = await make_person(world)
    missing = str(uuid.uuid4())
    assert (await world.get("lm_worker", f"{URL}/{missing}")).status_code == 404
    assert (await world.patch("lm_worker", f"{URL}/{missing}", {"summary": "x"})).status_code == 404
    for body in (
        {"person_id": missing, "kind": "screening"},
        {"person_id": person, "kind": "screening", "referral_id": missing},
        {"person_id": person, "kind": "screening", "episode_id": missing},
    ):
        assert (await world.post("lm_worker", URL, body)).status_code == 404
    assert (await world.get("lm_worker", URL, params={"person_id": missing})).status_code == 404
    assert await count(world, Assessment) == 0


# ---------------------------------------------------------------- the sharing protocol


async def test_each_assessment_is_shared_under_its_own_category(world):
    person = await make_person(world)
    screening = await world.post("lm_nurse", URL, {"person_id": person, "kind": "screening"})
    risk = await world.post("lm_nurse", URL, {"person_id": person, "kind": "risk", **RISKS})
    assert screening.status_code == 201 and risk.status_code == 201, risk.text
    screening_id, risk_id = screening.json()["id"], risk.json()["id"]

    # Prison staff read risk across the partnership, substance use only with consent.
    listed = await world.get("lm_officer", URL, params={"person_id": person})
    assert [a["id"] for a in listed.json()["items"]] == [risk_id]
    assert (await world.get("lm_officer", f"{URL}/{risk_id}")).status_code == 200
    withheld = await world.get("lm_officer", f"{URL}/{screening_id}")
    assert withheld.status_code == 403 and "consent" in withheld.json()["detail"]

    # Sacro does not work with the person: neither is shared with it.
    assert (await world.get("lm_sacro", URL)).json()["items"] == []
    for assessment_id in (screening_id, risk_id):
        assert (await world.get("lm_sacro", f"{URL}/{assessment_id}")).status_code == 403

    denials = await audit_rows(world, action="deny")
    assert [(e.record_type, e.user_id) for e in denials] == [
        ("substance_use", world.users["lm_officer"].id),
        ("substance_use", world.users["lm_sacro"].id),
        ("risk", world.users["lm_sacro"].id),
    ]
    reads = await audit_rows(world, record_type="assessment", action="read")
    assert [str(e.record_id) for e in reads] == [risk_id]


async def test_an_assessment_without_the_write_is_403_and_nothing_is_written(world):
    person = await make_person(world)
    refused = await world.post("lm_officer", URL, {"person_id": person, "kind": "screening"})
    assert refused.status_code == 403
    assert "write access to substance use" in refused.json()["detail"]
    assert await count(world, Assessment) == 0
    assert await audit_rows(world, record_type="assessment") == []
    (denial,) = await audit_rows(world, action="deny")
    assert (denial.record_type, denial.detail["action"]) == ("substance_use", "write")
    assert str(denial.person_id) == person

    risk = (
        await world.post("lm_worker", URL, {"person_id": person, "kind": "risk", **RISKS})
    ).json()
    changed = await world.patch("lm_sacro", f"{URL}/{risk['id']}", {"risk_overdose": "low"})
    assert changed.status_code == 403
    assert (await world.get("lm_worker", f"{URL}/{risk['id']}")).json() == risk


async def test_an_assessing_partner_gains_no_relation_by_assessing(world):
    person = await make_person(world)
    await world.post("lm_worker", consents_url(person), consent_body(world))
    # The NHS reads case notes (consents among them) of people it works with; assessing
    # is no decision that it does (issue 13).
    assert (await world.get("lm_nurse", consents_url(person))).json()["items"] == []
    assert (
        await world.post("lm_nurse", URL, {"person_id": person, "kind": "screening"})
    ).status_code == 201
    assert (await world.get("lm_nurse", consents_url(person))).json()["items"] == []
