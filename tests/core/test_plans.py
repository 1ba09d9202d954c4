"""Recovery plans over the public API: goals, contingency plan, actions, reviews, and the
handover to a community provider, which needs the person's consent at that moment."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from core.episodes.models import Phase
from core.plans.models import PlanAction, PlanReview, PlanStatus, RecoveryPlan
from core.plans.services import due_plan_actions
from tests.core.test_consents import (
    LC,
    LM,
    audit_rows,
    consents_url,
    count,
    db,
    iso,
    make_episode,
    make_person,
    refer_from,
    tenant_id,
)

URL = f"{LM}/plans"
CONTINGENCY = {
    "safety": "Cell-sharing review with safer custody",
    "overdose_prevention": "Naloxone kit and training before liberation",
    "harm_reduction": "Needle exchange details for Glasgow",
    "re_engagement": "Drop-in at the community hub any weekday",
}


async def make_plan(world, user: str = "lm_worker", **body: Any) -> dict[str, Any]:
    if "person_id" not in body:
        body["person_id"] = await make_person(world)
    if "episode_id" not in body:
        body["episode_id"] = await make_episode(world, body["person_id"])
    body.setdefault("goals", ["Stay drug-free on release"])
    response = await world.post(user, URL, body)
    assert response.status_code == 201, response.text
    return response.json()


async def give_consent(world, person_id: str, **body: Any) -> dict[str, Any]:
    consent = {
        "category": "substance_use",
        "purpose": "Transfer of the recovery plan on release",
        "lawful_basis": "consent",
        **body,
    }
    response = await world.post("lm_worker", consents_url(person_id), consent)
    assert response.status_code == 201, response.text
    return response.json()


async def close_plan(world, plan_id: str) -> None:
    async with db(world) as session:
        await session.execute(
            update(RecoveryPlan)
            .where(RecoveryPlan.id == uuid.UUID(plan_id))
            .values(status=PlanStatus.CLOSED)
        )
        await session.commit()


# ---------------------------------------------------------------- the plan itself


async def test_create_and_read_a_plan(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    created = await world.post(
        "lm_worker",
        URL,
        {
            "person_id": person,
            "episode_id": episode,
            "goals": [" Reduce use ", "Reconnect with family"],
            "contingency": {"safety": CONTINGENCY["safety"], "re_engagement": " Drop-in "},
        },
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "active"
    assert plan["person_id"] == person and plan["episode_id"] == episode
    assert plan["goals"] == ["Reduce use", "Reconnect with family"]
    assert plan["contingency"] == {
        "safety": CONTINGENCY["safety"],
        "overdose_prevention": None,
        "harm_reduction": None,
        "re_engagement": "Drop-in",
    }
    assert plan["actions"] == [] and plan["reviews"] == []
    assert plan["created_by"] == str(world.users["lm_worker"].id)
    assert plan["handover_organisation_id"] is None and plan["handed_over_at"] is None

    # Sacro referred the person, so it works with them and reads their substance use.
    await refer_from(world, person, "sacro")
    read = await world.get("lm_sacro", f"{URL}/{plan['id']}")
    assert read.status_code == 200
    assert read.json() == plan

    events = await audit_rows(world, record_type="recovery_plan")
    assert [e.action for e in events] == ["create", "read"]
    assert all(e.record_id == uuid.UUID(plan["id"]) for e in events)
    assert all(e.person_id == uuid.UUID(person) for e in events)
    assert [e.user_id for e in events] == [world.users["lm_worker"].id, world.users["lm_sacro"].id]


async def test_contingency_defaults_to_empty(world):
    plan = await make_plan(world)
    assert plan["contingency"] == dict.fromkeys(CONTINGENCY)


async def test_one_active_plan_per_episode(world):
    plan = await make_plan(world)
    again = await world.post(
        "lm_worker",
        URL,
        {"person_id": plan["person_id"], "episode_id": plan["episode_id"], "goals": ["Other"]},
    )
    assert again.status_code == 409, again.text
    assert "episode_id" in again.text
    assert await count(world, RecoveryPlan) == 1
    # Another episode of the same person may have its own plan.
    other_episode = await make_episode(world, plan["person_id"])
    await make_plan(world, person_id=plan["person_id"], episode_id=other_episode)
    assert await count(world, RecoveryPlan) == 2


async def test_episode_must_be_the_persons_and_open(world):
    alice = await make_person(world)
    bob = await make_person(world)
    bobs_episode = await make_episode(world, bob)
    closed = await make_episode(world, alice, phase=Phase.CLOSED)
    for episode in (bobs_episode, closed):
        response = await world.post(
            "lm_worker", URL, {"person_id": alice, "episode_id": episode, "goals": ["x"]}
        )
        assert response.status_code == 422, response.text
        assert "episode_id" in response.text
    assert await count(world, RecoveryPlan) == 0
    assert await audit_rows(world, record_type="recovery_plan") == []


async def test_list_filters_and_pages(world):
    alice = await make_person(world)
    bob = await make_person(world)
    alices = []
    for _ in range(3):
        alices.append((await make_plan(world, person_id=alice))["id"])
    bobs = (await make_plan(world, person_id=bob))["id"]

    assert len((await world.get("lm_worker", URL)).json()["items"]) == 4

    seen: list[str] = []
    cursor = None
    while True:
        params = {"person_id": alice, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await world.get("lm_worker", URL, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == alices[::-1]  # newest first

    await close_plan(world, alices[0])
    closed = (await world.get("lm_worker", URL, params={"status": "closed"})).json()["items"]
    assert [p["id"] for p in closed] == [alices[0]]
    active = (await world.get("lm_worker", URL, params={"status": "active"})).json()["items"]
    assert {p["id"] for p in active} == {*alices[1:], bobs}
    assert "contingency" not in active[0] and "actions" not in active[0]

    lists = await audit_rows(world, record_type="recovery_plan", action="list")
    assert lists[-1].detail == {"episode_id": None, "status": "active", "returned": 3}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "abandoned"}, "status"),
        ({"person_id": "bob"}, "person_id"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
    ],
)
async def test_bad_list_parameters(world, params, name):
    response = await world.get("lm_worker", URL, params=params)
    assert response.status_code == 400, response.text
    assert name in response.text


async def test_update_goals_and_parts_of_the_contingency(world):
    plan = await make_plan(world, contingency=CONTINGENCY)
    changed = await world.patch(
        "lm_worker",
        f"{URL}/{plan['id']}",
        {
            "goals": ["Attend SMART recovery weekly"],
            "contingency": {"harm_reduction": "Fentanyl test strips", "safety": None},
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["goals"] == ["Attend SMART recovery weekly"]
    assert body["contingency"] == {
        **CONTINGENCY,
        "harm_reduction": "Fentanyl test strips",
        "safety": None,
    }
    assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(plan["updated_at"])
    again = (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()
    assert again["contingency"] == body["contingency"] and again["goals"] == body["goals"]

    (event,) = await audit_rows(world, record_type="recovery_plan", action="update")
    assert event.detail["fields"] == ["goals", "contingency.harm_reduction", "contingency.safety"]


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"goals": []}, "goals"),
        ({"goals": "get well"}, "goals"),
        ({"goals": ["  "]}, "goals"),
        ({"contingency": {"aftercare": "x"}}, "aftercare"),
        ({"contingency": {"safety": 3}}, "safety"),
        ({"status": "closed"}, "status"),
    ],
)
async def test_bad_plan_updates(world, body, name):
    plan = await make_plan(world, contingency=CONTINGENCY)
    response = await world.patch("lm_worker", f"{URL}/{plan['id']}", body)
    assert response.status_code == 400, response.text
    assert name in response.text
    assert (await world.get("lm_worker", f"{URL}/{plan['id']}")).json() == plan


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("change", "name"),
    [
        (lambda b: {**b, "owner": "me"}, "owner"),
        (lambda b: _without(b, "goals"), "goals"),
        (lambda b: _without(b, "episode_id"), "episode_id"),
        (lambda b: {**b, "goals": [1, 2]}, "goals"),
        (lambda b: {**b, "goals": ["x" * 501]}, "goals"),
        (lambda b: {**b, "episode_id": "episode-one"}, "episode_id"),
        (lambda b: {**b, "contingency": {"safety": ""}}, "safety"),
        (lambda b: {**b, "contingency": {"relapse": "x"}}, "relapse"),
        (lambda b: {**b, "contingency": "none"}, "contingency"),
    ],
)
async def test_bad_plan_bodies(world, change, name):
    person = await make_person(world)
    episode = await make_episode(world, person)
    body = {"person_id": person, "episode_id": episode, "goals": ["Stay well"]}
    response = await world.post("lm_worker", URL, change(body))
    assert response.status_code == 400, response.text
    assert name in response.text
    assert "Traceback" not in response.text
    assert await count(world, RecoveryPlan) == 0


# ---------------------------------------------------------------- actions and reviews


async def test_actions_with_owners_and_completion(world):
    plan = await make_plan(world)
    actions_url = f"{URL}/{plan['id']}/actions"
    housing = world.org_id("low-moss", "glasgow-city-council")
    nhs = world.org_id("low-moss", "nhs-ggc")

    later = await world.post(
        "lm_worker",
        actions_url,
        {"description": "Register with GP", "owner_organisation_id": nhs, "due_on": "2026-12-01"},
    )
    assert later.status_code == 201, later.text
    sooner = await world.post(
        "lm_worker",
        actions_url,
        {
            "description": "Homeless application",
            "owner_organisation_id": housing,
            "due_on": "2026-11-01",
        },
    )
    undated = await world.post(
        "lm_worker", actions_url, {"description": "Mutual aid link", "owner_organisation_id": nhs}
    )
    assert sooner.status_code == 201 and undated.status_code == 201
    action = later.json()
    assert action["plan_id"] == plan["id"]
    assert action["owner_organisation_id"] == nhs
    assert action["due_on"] == "2026-12-01" and action["completed_at"] is None

    done = await world.patch(
        "lm_nurse", f"{actions_url}/{action['id']}", {"completed": True, "due_on": "2026-11-20"}
    )
    assert done.status_code == 200, done.text
    completed_at = done.json()["completed_at"]
    assert completed_at is not None and done.json()["due_on"] == "2026-11-20"
    # Completing again keeps the first completion time.
    again = await world.patch("lm_nurse", f"{actions_url}/{action['id']}", {"completed": True})
    assert again.json()["completed_at"] == completed_at

    detail = (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()
    # Soonest due first, undated last.
    assert [a["description"] for a in detail["actions"]] == [
        "Homeless application",
        "Register with GP",
        "Mutual aid link",
    ]
    assert detail["actions"][1]["completed_at"] == completed_at

    reopened = await world.patch(
        "lm_nurse",
        f"{actions_url}/{action['id']}",
        {"completed": False, "description": "Register with GP in Glasgow", "due_on": None},
    )
    assert reopened.status_code == 200
    assert reopened.json()["completed_at"] is None and reopened.json()["due_on"] is None
    assert reopened.json()["description"] == "Register with GP in Glasgow"

    events = await audit_rows(world, record_type="plan_action")
    assert [e.action for e in events] == [
        "create",
        "create",
        "create",
        "update",
        "update",
        "update",
    ]
    assert all(e.person_id == uuid.UUID(plan["person_id"]) for e in events)
    assert events[3].record_id == uuid.UUID(action["id"])
    assert events[3].detail == {"plan_id": plan["id"], "fields": ["due_on", "completed"]}


@pytest.mark.parametrize(
    ("body", "status", "name"),
    [
        ({"description": "x"}, 400, "owner_organisation_id"),
        ({"description": "x", "owner_organisation_id": "nhs"}, 400, "owner_organisation_id"),
        ({"owner_organisation_id": "ORG"}, 400, "description"),
        ({"description": "x", "owner_organisation_id": "ORG", "due_on": "soon"}, 400, "due_on"),
        ({"description": "x", "owner_organisation_id": "ORG", "priority": 1}, 400, "priority"),
        ({"description": "   ", "owner_organisation_id": "ORG"}, 400, "description"),
    ],
)
async def test_bad_action_bodies(world, body, status, name):
    plan = await make_plan(world)
    if body.get("owner_organisation_id") == "ORG":
        body = {**body, "owner_organisation_id": world.org_id("low-moss", "sacro")}
    response = await world.post("lm_worker", f"{URL}/{plan['id']}/actions", body)
    assert response.status_code == status, response.text
    assert name in response.text
    assert await count(world, PlanAction) == 0


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"completed": "yes"}, "completed"),
        ({"due_on": 20261101}, "due_on"),
        ({"owner_organisation_id": None}, "owner_organisation_id"),
        ({"description": None}, "description"),
    ],
)
async def test_bad_action_updates(world, body, name):
    plan = await make_plan(world)
    action = (
        await world.post(
            "lm_worker",
            f"{URL}/{plan['id']}/actions",
            {"description": "Call", "owner_organisation_id": world.org_id("low-moss", "sacro")},
        )
    ).json()
    response = await world.patch("lm_worker", f"{URL}/{plan['id']}/actions/{action['id']}", body)
    assert response.status_code == 400, response.text
    assert name in response.text
    detail = (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()
    assert detail["actions"] == [action]


async def test_action_owner_must_be_a_partner_here(world):
    plan = await make_plan(world)
    for owner in (world.org_id("leicester", "turning-point"), str(uuid.uuid4())):
        response = await world.post(
            "lm_worker",
            f"{URL}/{plan['id']}/actions",
            {"description": "x", "owner_organisation_id": owner},
        )
        assert response.status_code == 404, response.text
    assert await count(world, PlanAction) == 0
    assert await audit_rows(world, record_type="plan_action") == []


async def test_action_is_reached_only_through_its_plan(world):
    first = await make_plan(world)
    second = await make_plan(world)
    action = (
        await world.post(
            "lm_worker",
            f"{URL}/{first['id']}/actions",
            {"description": "Call", "owner_organisation_id": world.org_id("low-moss", "sacro")},
        )
    ).json()
    wrong = await world.patch(
        "lm_worker", f"{URL}/{second['id']}/actions/{action['id']}", {"completed": True}
    )
    assert wrong.status_code == 404
    missing = await world.patch(
        "lm_worker", f"{URL}/{first['id']}/actions/{uuid.uuid4()}", {"completed": True}
    )
    assert missing.status_code == 404
    detail = (await world.get("lm_worker", f"{URL}/{first['id']}")).json()
    assert detail["actions"][0]["completed_at"] is None


async def test_reviews(world):
    plan = await make_plan(world)
    reviews_url = f"{URL}/{plan['id']}/reviews"
    last_month = datetime.now(UTC) - timedelta(days=30)
    await refer_from(world, plan["person_id"], "sacro")  # a partner that works with them
    now_review = await world.post("lm_sacro", reviews_url, {"notes": " Going well "})
    assert now_review.status_code == 201, now_review.text
    earlier = await world.post(
        "lm_worker", reviews_url, {"notes": "First review", "reviewed_at": iso(last_month)}
    )
    assert earlier.status_code == 201, earlier.text
    review = now_review.json()
    assert review["notes"] == "Going well"
    assert review["reviewed_by"] == str(world.users["lm_sacro"].id)
    assert abs(datetime.now(UTC) - datetime.fromisoformat(review["reviewed_at"])) < timedelta(
        minutes=1
    )
    assert datetime.fromisoformat(earlier.json()["reviewed_at"]) == last_month

    detail = (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()
    assert [r["notes"] for r in detail["reviews"]] == ["First review", "Going well"]

    events = await audit_rows(world, record_type="plan_review")
    assert [e.action for e in events] == ["create", "create"]
    assert events[0].record_id == uuid.UUID(review["id"])
    assert events[0].detail == {"plan_id": plan["id"]}


@pytest.mark.parametrize(
    ("body", "status", "name"),
    [
        ({}, 400, "notes"),
        ({"notes": ""}, 400, "notes"),
        ({"notes": "x", "mood": "ok"}, 400, "mood"),
        ({"notes": "x", "reviewed_at": "2026-01-01T12:00:00"}, 400, "reviewed_at"),
        (
            {"notes": "x", "reviewed_at": iso(datetime.now(UTC) + timedelta(days=3))},
            422,
            "reviewed_at",
        ),
    ],
)
async def test_bad_reviews(world, body, status, name):
    plan = await make_plan(world)
    response = await world.post("lm_worker", f"{URL}/{plan['id']}/reviews", body)
    assert response.status_code == status, response.text
    assert name in response.text
    assert await count(world, PlanReview) == 0


async def test_a_closed_plan_cannot_change(world):
    plan = await make_plan(world)
    action = (
        await world.post(
            "lm_worker",
            f"{URL}/{plan['id']}/actions",
            {"description": "Call", "owner_organisation_id": world.org_id("low-moss", "sacro")},
        )
    ).json()
    await give_consent(world, plan["person_id"], recipient_kind="third_sector")
    await close_plan(world, plan["id"])
    sacro = world.org_id("low-moss", "sacro")
    attempts = [
        world.patch("lm_worker", f"{URL}/{plan['id']}", {"goals": ["New"]}),
        world.post(
            "lm_worker",
            f"{URL}/{plan['id']}/actions",
            {"description": "x", "owner_organisation_id": sacro},
        ),
        world.patch("lm_worker", f"{URL}/{plan['id']}/actions/{action['id']}", {"completed": True}),
        world.post("lm_worker", f"{URL}/{plan['id']}/reviews", {"notes": "x"}),
        world.post("lm_worker", f"{URL}/{plan['id']}/handover", {"organisation_id": sacro}),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 409, response.text
    detail = (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()
    assert detail["status"] == "closed" and detail["goals"] == plan["goals"]
    assert detail["reviews"] == [] and detail["actions"] == [action]


# ---------------------------------------------------------------- handover


async def test_handover_needs_consent_and_withdrawal_stops_it_at_once(world):
    plan = await make_plan(world)
    person = plan["person_id"]
    handover_url = f"{URL}/{plan['id']}/handover"
    community = world.org_id("low-moss", "alternatives-wd")

    refused = await world.post("lm_worker", handover_url, {"organisation_id": community})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == (
        "The person has not consented to share their recovery plan with "
        "Alternatives West Dunbartonshire"
    )
    assert "organisation_id" in refused.text

    consent = await give_consent(world, person, recipient_organisation_id=community)
    withdrawn = await world.post(
        "lm_worker", f"{consents_url(person)}/{consent['id']}/withdraw", {"reason": "Changed mind"}
    )
    assert withdrawn.status_code == 200
    right_after = await world.post("lm_worker", handover_url, {"organisation_id": community})
    assert right_after.status_code == 422, right_after.text
    assert "Alternatives West Dunbartonshire" in right_after.text

    unchanged = (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()
    assert unchanged["status"] == "active" and unchanged["handover_organisation_id"] is None
    assert await audit_rows(world, record_type="recovery_plan", action="handover") == []

    fresh = await give_consent(world, person, recipient_organisation_id=community)
    handed = await world.post("lm_worker", handover_url, {"organisation_id": community})
    assert handed.status_code == 200, handed.text
    body = handed.json()
    assert body["status"] == "handed_over"
    assert body["handover_organisation_id"] == community
    assert abs(datetime.now(UTC) - datetime.fromisoformat(body["handed_over_at"])) < timedelta(
        minutes=1
    )
    (event,) = await audit_rows(world, record_type="recovery_plan", action="handover")
    assert event.record_id == uuid.UUID(plan["id"])
    assert event.person_id == uuid.UUID(person)
    assert event.detail == {"organisation_id": community, "consent_id": fresh["id"]}

    twice = await world.post("lm_worker", handover_url, {"organisation_id": community})
    assert twice.status_code == 409, twice.text
    listed = (await world.get("lm_worker", URL, params={"status": "handed_over"})).json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]


async def test_handover_by_consent_to_a_kind_of_partner(world):
    plan = await make_plan(world)
    await give_consent(world, plan["person_id"], recipient_kind="third_sector")
    sacro = world.org_id("low-moss", "sacro")
    assert (await world.get("lm_sacro", f"{URL}/{plan['id']}")).status_code == 403
    handed = await world.post(
        "lm_worker", f"{URL}/{plan['id']}/handover", {"organisation_id": sacro}
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["handover_organisation_id"] == sacro
    # The provider the plan was handed to works with the person from then on.
    assert (await world.get("lm_sacro", f"{URL}/{plan['id']}")).status_code == 200


@pytest.mark.parametrize(
    "consent",
    [
        {"category": "health", "recipient_kind": "third_sector"},  # the wrong category
        {"recipient_kind": "nhs"},  # the wrong kind
        {"recipient_organisation_id": "families-outside"},  # another partner of the same kind
        {
            "recipient_kind": "third_sector",
            "given_at": iso(datetime.now(UTC) - timedelta(days=60)),
            "expires_at": iso(datetime.now(UTC) - timedelta(days=1)),
        },  # expired
    ],
)
async def test_handover_refused_without_the_right_consent(world, consent):
    plan = await make_plan(world)
    if "recipient_organisation_id" in consent:
        slug = consent["recipient_organisation_id"]
        consent = {**consent, "recipient_organisation_id": world.org_id("low-moss", slug)}
    await give_consent(world, plan["person_id"], **consent)
    # Someone else's consent does not count either.
    other = await make_person(world)
    await give_consent(world, other, recipient_kind="third_sector")

    response = await world.post(
        "lm_worker",
        f"{URL}/{plan['id']}/handover",
        {"organisation_id": world.org_id("low-moss", "sacro")},
    )
    assert response.status_code == 422, response.text
    assert "The person has not consented to share their recovery plan with Sacro" in response.text
    assert (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()["status"] == "active"


async def test_handover_to_a_partner_elsewhere_is_not_found(world):
    plan = await make_plan(world)
    await give_consent(world, plan["person_id"], recipient_kind="third_sector")
    for organisation in (world.org_id("leicester", "turning-point"), str(uuid.uuid4())):
        response = await world.post(
            "lm_worker", f"{URL}/{plan['id']}/handover", {"organisation_id": organisation}
        )
        assert response.status_code == 404, response.text
    bad = await world.post("lm_worker", f"{URL}/{plan['id']}/handover", {"organisation": "x"})
    assert bad.status_code == 400 and "organisation" in bad.text
    assert (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()["status"] == "active"


# ---------------------------------------------------------------- tenancy


async def test_other_tenant_gets_404_and_nothing_is_written(world):
    plan = await make_plan(world)
    plan_url = f"{URL}/{plan['id']}"
    sacro = world.org_id("low-moss", "sacro")
    action = (
        await world.post(
            "lm_worker", f"{plan_url}/actions", {"description": "x", "owner_organisation_id": sacro}
        )
    ).json()

    for base in (URL, f"{LC}/plans"):  # not a member there; not theirs here
        other = f"{base}/{plan['id']}"
        responses = [
            await world.get("lc_worker", other),
            await world.patch("lc_worker", other, {"goals": ["Hijacked"]}),
            await world.post(
                "lc_worker",
                f"{other}/actions",
                {"description": "x", "owner_organisation_id": sacro},
            ),
            await world.patch("lc_worker", f"{other}/actions/{action['id']}", {"completed": True}),
            await world.post("lc_worker", f"{other}/reviews", {"notes": "x"}),
            await world.post("lc_worker", f"{other}/handover", {"organisation_id": sacro}),
            await world.get("lc_worker", base, params={"person_id": plan["person_id"]}),
        ]
        assert [r.status_code for r in responses] == [404] * len(responses)
    assert (await world.get("lc_worker", f"{LC}/plans")).json()["items"] == []
    assert (await world.get("admin", URL)).status_code == 404

    # A Leicester member cannot build a plan on Low Moss's person or episode.
    lc_person = await make_person(world, tenant="leicester", user="lc_worker")
    lc_episode = await make_episode(world, lc_person, tenant="leicester")
    for body in (
        {"person_id": plan["person_id"], "episode_id": lc_episode},
        {"person_id": lc_person, "episode_id": plan["episode_id"]},
    ):
        response = await world.post("lc_worker", f"{LC}/plans", {**body, "goals": ["x"]})
        assert response.status_code == 404, response.text

    assert await count(world, RecoveryPlan) == 1
    assert await count(world, PlanAction) == 1
    assert await count(world, PlanReview) == 0
    detail = (await world.get("lm_worker", plan_url)).json()
    assert detail["goals"] == plan["goals"] and detail["actions"] == [action]
    lc_user = world.users["lc_worker"].id
    assert await audit_rows(world, user_id=lc_user, tenant_id=tenant_id(world, "low-moss")) == []
    lc_plan_events = [
        (e.action, e.record_id)
        for e in await audit_rows(world, user_id=lc_user)
        if e.record_type in ("recovery_plan", "plan_action", "plan_review")
    ]
    assert lc_plan_events == [("list", None)]  # Leicester's own (empty) list


async def test_unknown_ids_are_not_found(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    missing = str(uuid.uuid4())
    assert (await world.get("lm_worker", f"{URL}/{missing}")).status_code == 404
    assert (await world.patch("lm_worker", f"{URL}/{missing}", {"goals": ["x"]})).status_code == 404
    for body in (
        {"person_id": missing, "episode_id": episode},
        {"person_id": person, "episode_id": missing},
    ):
        assert (await world.post("lm_worker", URL, {**body, "goals": ["x"]})).status_code == 404
    assert (await world.get("lm_worker", URL, params={"person_id": missing})).status_code == 404
    assert await count(world, RecoveryPlan) == 0


# ---------------------------------------------------------------- for the jobs


async def test_due_plan_actions(world):
    today = date(2026, 6, 15)
    sacro = world.org_id("low-moss", "sacro")

    async def action(plan: dict[str, Any], due: date | None, tenant: str = "low-moss") -> str:
        base = f"/api/v1/t/{tenant}/plans/{plan['id']}/actions"
        user = "lm_worker" if tenant == "low-moss" else "lc_worker"
        owner = sacro if tenant == "low-moss" else world.org_id("leicester", "turning-point")
        body = {"description": f"due {due}", "owner_organisation_id": owner}
        if due:
            body["due_on"] = due.isoformat()
        response = await world.post(user, base, body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    plan = await make_plan(world)
    overdue = await action(plan, today - timedelta(days=3))
    due_today = await action(plan, today)
    await action(plan, today + timedelta(days=1))
    await action(plan, None)
    done = await action(plan, today - timedelta(days=1))
    assert (
        await world.patch("lm_worker", f"{URL}/{plan['id']}/actions/{done}", {"completed": True})
    ).status_code == 200

    closed_plan = await make_plan(world)
    await action(closed_plan, today - timedelta(days=1))
    await close_plan(world, closed_plan["id"])

    lc_person = await make_person(world, tenant="leicester", user="lc_worker")
    lc_episode = await make_episode(world, lc_person, tenant="leicester")
    lc_plan = await world.post(
        "lc_worker",
        f"{LC}/plans",
        {"person_id": lc_person, "episode_id": lc_episode, "goals": ["x"]},
    )
    assert lc_plan.status_code == 201, lc_plan.text
    lc_due = await action(lc_plan.json(), today - timedelta(days=2), tenant="leicester")

    async with db(world) as session:
        low_moss = await due_plan_actions(session, tenant_id(world, "low-moss"), today)
        leicester = await due_plan_actions(session, tenant_id(world, "leicester"), today)
        earlier = await due_plan_actions(
            session, tenant_id(world, "low-moss"), today - timedelta(5)
        )
    assert [str(a.id) for a in low_moss] == [overdue, due_today]
    assert [str(a.id) for a in leicester] == [lc_due]
    assert earlier == []


# ---------------------------------------------------------------- the sharing protocol


async def test_plans_are_withheld_from_those_the_protocol_does_not_share_them_with(world):
    plan = await make_plan(world)
    person = plan["person_id"]
    url = f"{URL}/{plan['id']}"

    # Prison officers read substance use (the plan's category) only with consent.
    assert (await world.get("lm_officer", URL)).json()["items"] == []
    mine = await world.get("lm_officer", URL, params={"person_id": person})
    assert mine.status_code == 200 and mine.json()["items"] == []
    refused = await world.get("lm_officer", url)
    assert refused.status_code == 403 and "consent" in refused.json()["detail"]
    (denial,) = await audit_rows(world, action="deny")
    assert (denial.record_type, denial.user_id) == ("substance_use", world.users["lm_officer"].id)
    assert [e.action for e in await audit_rows(world, record_type="recovery_plan")] == [
        "create",
        "list",
        "list",
    ]

    # With the person's consent to share it with the prison, the officer reads it.
    await give_consent(world, person, recipient_kind="prison")
    assert [p["id"] for p in (await world.get("lm_officer", URL)).json()["items"]] == [plan["id"]]
    assert (await world.get("lm_officer", url)).status_code == 200


async def test_plan_writes_without_the_write_are_403_and_change_nothing(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    created = await world.post(
        "lm_officer", URL, {"person_id": person, "episode_id": episode, "goals": ["x"]}
    )
    assert created.status_code == 403
    assert "write access to substance use" in created.json()["detail"]
    assert await count(world, RecoveryPlan) == 0

    plan = await make_plan(world, person_id=person, episode_id=episode)
    sacro = world.org_id("low-moss", "sacro")
    for response in [
        await world.patch("lm_sacro", f"{URL}/{plan['id']}", {"goals": ["Sacro's goal"]}),
        await world.post(
            "lm_sacro",
            f"{URL}/{plan['id']}/actions",
            {"description": "Mentor at the gate", "owner_organisation_id": sacro},
        ),
        await world.post("lm_sacro", f"{URL}/{plan['id']}/reviews", {"notes": "Seen"}),
    ]:
        assert response.status_code == 403, response.text
        assert "write on substance use" in response.json()["detail"]
    after = (await world.get("lm_worker", f"{URL}/{plan['id']}")).json()
    assert after == plan
    assert await count(world, PlanAction) == 0 and await count(world, PlanReview) == 0
    denials = await audit_rows(world, action="deny")
    assert [(e.record_type, e.detail["action"]) for e in denials] == [
        ("substance_use", "write")
    ] * 4
    assert [e.user_id for e in denials] == [world.users["lm_officer"].id] + [
        world.users["lm_sacro"].id
    ] * 3
