"""Episodes over the public API: phase history, the pathway's allowed moves (and the refused
ones), key worker and lead partner, list filters, tenancy, bad input and audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.accounts.models import Membership
from core.episodes.models import Episode, Phase, PhaseChange
from core.episodes.services import ALLOWED_MOVES
from tests.core.test_referrals import (
    EPISODES,
    LC,
    LM,
    audit_rows,
    count,
    db,
    episode,
    make_person,
    move,
    refer,
    tenant_id,
)

# The pathway as the service specification and the partnerships describe it.
EXPECTED_MOVES = {
    "referral": {"assessment", "closed"},
    "assessment": {"in_custody_support", "community", "closed"},
    "in_custody_support": {"pre_liberation", "closed"},
    "pre_liberation": {"community", "in_custody_support", "closed"},
    "community": {"in_custody_support", "closed"},
    "closed": set(),
}


async def new_episode(world, family_name: str = "Episodic") -> dict[str, Any]:
    person = await make_person(world, family_name=family_name)
    referral = await refer(world, person)
    return await episode(world, referral["episode_id"])


async def episode_at(world, person_id: str, phase: Phase) -> str:
    """An episode put straight into ``phase`` (as a migration or import would leave it)."""
    async with db(world) as session:
        row = Episode(
            tenant_id=tenant_id(world, "low-moss"),
            person_id=uuid.UUID(person_id),
            phase=phase,
            closed_at=datetime.now(UTC) if phase == Phase.CLOSED else None,
        )
        session.add(row)
        await session.commit()
        return str(row.id)


def test_the_move_table_is_the_pathway():
    assert {str(k): {str(p) for p in v} for k, v in ALLOWED_MOVES.items()} == EXPECTED_MOVES


async def test_the_whole_pathway_with_its_detours(world):
    opened = await new_episode(world)
    url = f"{EPISODES}/{opened['id']}/phase"
    path = [
        ("assessment", None),
        ("in_custody_support", None),
        ("pre_liberation", None),
        ("in_custody_support", "Liberation postponed: further charges"),
        ("pre_liberation", None),
        ("community", "Liberated; met at the gate"),
        ("in_custody_support", "Returned to custody on recall"),
        ("pre_liberation", None),
        ("community", None),
        ("closed", "  Completed: engaged with community service  "),
    ]
    for to, reason in path:
        body = {"to": to, **({"reason": reason} if reason else {})}
        moved = await world.post("lm_worker", url, body)
        assert moved.status_code == 200, moved.text
        assert moved.json()["phase"] == to

    final = await episode(world, opened["id"])
    assert final["phase"] == "closed"
    assert final["closed_reason"] == "Completed: engaged with community service"
    closed_at = datetime.fromisoformat(final["closed_at"])
    assert abs(datetime.now(UTC) - closed_at) < timedelta(minutes=1)
    history = [(h["from_phase"], h["to_phase"]) for h in final["history"]]
    assert history == [(None, "referral")] + [
        (before, after)
        for before, after in zip(
            ["referral"] + [to for to, _ in path[:-1]], [to for to, _ in path], strict=True
        )
    ]
    assert final["history"][4]["reason"] == "Liberation postponed: further charges"
    assert all(h["changed_by"] == str(world.users["lm_worker"].id) for h in final["history"][1:])

    updates = await audit_rows(world, record_type="episode", action="update")
    assert [(e.detail["from_phase"], e.detail["to_phase"]) for e in updates] == history[1:]
    assert all(str(e.person_id) == opened["person_id"] for e in updates)


async def test_every_move_is_allowed_or_refused_by_the_table(world):
    person = await make_person(world)
    for current in Phase:
        for to in Phase:
            episode_id = await episode_at(world, person, current)
            response = await move(world, episode_id, to.value)
            if to.value in EXPECTED_MOVES[current.value]:
                assert response.status_code == 200, (current, to, response.text)
                assert response.json()["phase"] == to.value
            else:
                assert response.status_code == 409, (current, to, response.text)
                after = await episode(world, episode_id)
                assert after["phase"] == current.value
                assert after["history"] == []


async def test_a_refused_move_says_what_is_allowed_and_changes_nothing(world):
    opened = await new_episode(world)
    refused = await move(world, opened["id"], "community")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "An episode in phase 'referral' cannot move to 'community'; allowed: assessment, closed"
    )
    assert "to" in {e["key"] for e in refused.json()["extra"]}
    assert (await move(world, opened["id"], "referral")).status_code == 409  # standing still
    after = await episode(world, opened["id"])
    assert after["phase"] == "referral" and len(after["history"]) == 1
    assert await count(world, PhaseChange, episode_id=uuid.UUID(opened["id"])) == 1
    assert await audit_rows(world, record_type="episode", action="update") == []


async def test_a_closed_episode_stays_closed(world):
    opened = await new_episode(world)
    assert (await move(world, opened["id"], "closed", "Moved away")).status_code == 200
    reopened = await move(world, opened["id"], "assessment")
    assert reopened.status_code == 409
    assert "a new referral opens a new episode" in reopened.json()["detail"]
    after = await episode(world, opened["id"])
    assert after["phase"] == "closed" and after["closed_reason"] == "Moved away"


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"to": "released"}, "to"),
        ({}, "to"),
        ({"to": 3}, "to"),
        ({"to": "closed", "why": "done"}, "why"),
        ({"to": "closed", "reason": " "}, "reason"),
    ],
)
async def test_bad_phase_bodies(world, body, name):
    opened = await new_episode(world)
    response = await world.post("lm_worker", f"{EPISODES}/{opened['id']}/phase", body)
    assert response.status_code == 400, response.text
    assert name in response.text
    assert (await episode(world, opened["id"]))["phase"] == "referral"


# --- key worker and lead partner ---------------------------------------------------------


async def test_set_and_clear_the_key_worker_and_lead_partner(world):
    opened = await new_episode(world)
    url = f"{EPISODES}/{opened['id']}"
    sacro_worker = str(world.users["lm_sacro"].id)
    sacro = world.org_id("low-moss", "sacro")

    changed = await world.patch(
        "lm_lead", url, {"key_worker_id": sacro_worker, "lead_organisation_id": sacro}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["key_worker_id"] == sacro_worker
    assert body["lead_organisation_id"] == sacro
    assert body["phase"] == "referral" and len(body["history"]) == 1

    only_lead = await world.patch("lm_lead", url, {"lead_organisation_id": None})
    assert only_lead.status_code == 200
    assert only_lead.json()["lead_organisation_id"] is None
    assert only_lead.json()["key_worker_id"] == sacro_worker  # not given, not changed

    cleared = await world.patch("lm_lead", url, {"key_worker_id": None})
    assert cleared.status_code == 200 and cleared.json()["key_worker_id"] is None

    updates = await audit_rows(world, record_type="episode", action="update")
    assert [e.detail["fields"] for e in updates] == [
        ["key_worker_id", "lead_organisation_id"],
        ["lead_organisation_id"],
        ["key_worker_id"],
    ]


@pytest.mark.parametrize("who", ["lc_worker", "admin", "lm_nurse_lapsed", "nobody"])
async def test_the_key_worker_must_be_an_active_member_here(world, who):
    opened = await new_episode(world)
    if who == "lm_nurse_lapsed":
        async with db(world) as session:
            membership = await session.scalar(
                select(Membership).where(Membership.user_id == world.users["lm_nurse"].id)
            )
            membership.is_active = False
            await session.commit()
        user_id = str(world.users["lm_nurse"].id)
    elif who == "nobody":
        user_id = str(uuid.uuid4())
    else:
        user_id = str(world.users[who].id)
    response = await world.patch(
        "lm_lead",
        f"{EPISODES}/{opened['id']}",
        {"key_worker_id": user_id, "lead_organisation_id": world.org_id("low-moss", "sacro")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["extra"][0]["key"] == "key_worker_id"
    after = await episode(world, opened["id"])
    assert after["key_worker_id"] is None and after["lead_organisation_id"] is None


async def test_the_lead_partner_must_be_in_this_partnership(world):
    opened = await new_episode(world)
    url = f"{EPISODES}/{opened['id']}"
    elsewhere = await world.patch(
        "lm_lead", url, {"lead_organisation_id": world.org_id("leicester", "turning-point")}
    )
    assert elsewhere.status_code == 404
    assert "Organisation" in elsewhere.json()["detail"]
    assert (await episode(world, opened["id"]))["lead_organisation_id"] is None


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"phase": "closed"}, "phase"),
        ({"key_worker_id": "lm_sacro"}, "key_worker_id"),
        ({"lead_organisation_id": 7}, "lead_organisation_id"),
    ],
)
async def test_bad_episode_updates(world, body, name):
    opened = await new_episode(world)
    response = await world.patch("lm_lead", f"{EPISODES}/{opened['id']}", body)
    assert response.status_code == 400, response.text
    assert name in response.text
    assert (await episode(world, opened["id"]))["phase"] == "referral"
    assert await audit_rows(world, record_type="episode", action="update") == []


# --- list and read -----------------------------------------------------------------------


async def test_list_filters_and_keyset_pages(world):
    made = [await new_episode(world, family_name=f"Listed{i}") for i in range(5)]
    sacro_worker = str(world.users["lm_sacro"].id)
    for item in made[:2]:
        patched = await world.patch(
            "lm_lead", f"{EPISODES}/{item['id']}", {"key_worker_id": sacro_worker}
        )
        assert patched.status_code == 200
    assert (await move(world, made[3]["id"], "assessment")).status_code == 200

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await world.get("lm_worker", EPISODES, params=params)
        assert response.status_code == 200, response.text
        seen += [e["id"] for e in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in reversed(made)]  # newest first

    async def ids(**params: Any) -> list[str]:
        response = await world.get("lm_worker", EPISODES, params=params)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert await ids(person_id=made[2]["person_id"]) == [made[2]["id"]]
    assert await ids(phase="assessment") == [made[3]["id"]]
    assert await ids(key_worker_id=sacro_worker) == [made[1]["id"], made[0]["id"]]
    assert await ids(key_worker_id=sacro_worker, phase="assessment") == []
    assert len(await audit_rows(world, record_type="episode", action="list")) == 7


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"phase": "released"}, "phase"),
        ({"key_worker_id": "sacro"}, "key_worker_id"),
        ({"limit": 500}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
    ],
)
async def test_bad_list_parameters(world, params, name):
    response = await world.get("lm_worker", EPISODES, params=params)
    assert response.status_code == 400, response.text
    assert name in response.text


async def test_reading_an_episode_is_audited(world):
    person = await make_person(world)
    nhs = world.org_id("low-moss", "nhs-ggc")
    referral = await refer(world, person, source="healthcare", referring_organisation_id=nhs)
    # The NHS works with the person once the lead accepts the referral (issue 13).
    accepted = await world.post(
        "lm_lead", f"{LM}/referrals/{referral['id']}/decision", {"decision": "full_support"}
    )
    assert accepted.status_code == 200, accepted.text
    opened = await episode(world, referral["episode_id"])
    await episode(world, opened["id"], "lm_nurse")
    reads = await audit_rows(world, record_type="episode", action="read")
    assert [(str(e.record_id), e.user_id) for e in reads][-1] == (
        opened["id"],
        world.users["lm_nurse"].id,
    )
    assert str(reads[-1].person_id) == opened["person_id"]


async def test_another_partnership_cannot_see_or_change_an_episode(world):
    opened = await new_episode(world)
    for url in (f"{EPISODES}/{opened['id']}", f"{LC}/episodes/{opened['id']}"):
        assert (await world.get("lc_worker", url)).status_code == 404
        assert (
            await world.patch("lc_worker", url, {"lead_organisation_id": None})
        ).status_code == 404
        assert (
            await world.post("lc_worker", f"{url}/phase", {"to": "assessment"})
        ).status_code == 404
    assert (await world.get("lc_worker", EPISODES)).status_code == 404
    filtered = await world.get(
        "lc_worker", f"{LC}/episodes", params={"person_id": opened["person_id"]}
    )
    assert filtered.status_code == 404
    own = await world.get("lc_worker", f"{LC}/episodes")
    assert own.status_code == 200 and own.json()["items"] == []
    after = await episode(world, opened["id"])
    assert after["phase"] == "referral" and len(after["history"]) == 1
    assert await audit_rows(world, record_type="episode", action="update") == []


async def test_unknown_episode_is_404(world):
    missing = f"{EPISODES}/{uuid.uuid4()}"
    assert (await world.get("lm_worker", missing)).status_code == 404
    assert (await world.patch("lm_worker", missing, {"key_worker_id": None})).status_code == 404
    assert (await world.post("lm_worker", f"{missing}/phase", {"to": "closed"})).status_code == 404


# --- the sharing protocol ----------------------------------------------------------------


async def test_the_key_worker_and_lead_partner_are_who_the_scopes_follow(world):
    opened = await new_episode(world)
    url = f"{EPISODES}/{opened['id']}"
    person = opened["person_id"]
    # Sacro does not work with the person: the episode is withheld from its worker.
    assert (await world.get("lm_sacro", url)).status_code == 403
    assert (await world.get("lm_sacro", EPISODES)).json()["items"] == []

    # Made key worker: the person is assigned to them, so they read the case.
    sacro_worker = str(world.users["lm_sacro"].id)
    assert (await world.patch("lm_lead", url, {"key_worker_id": sacro_worker})).status_code == 200
    assert (await world.get("lm_sacro", url)).status_code == 200
    assert [e["id"] for e in (await world.get("lm_sacro", EPISODES)).json()["items"]] == [
        opened["id"]
    ]
    # ... and as their key worker may record a consent about them (case notes).
    consent = await world.post(
        "lm_sacro",
        f"{LM}/persons/{person}/consents",
        {
            "category": "housing",
            "recipient_kind": "local_authority",
            "purpose": "Housing on release",
            "lawful_basis": "public_task",
        },
    )
    assert consent.status_code == 201, consent.text

    # Another key worker takes over: the previous one no longer sees the case.
    lead = str(world.users["lm_worker"].id)
    assert (await world.patch("lm_lead", url, {"key_worker_id": lead})).status_code == 200
    assert (await world.get("lm_sacro", url)).status_code == 403
    assert (await world.get("lm_sacro", EPISODES)).json()["items"] == []

    # The lead partner's organisation works with the person.
    nhs = world.org_id("low-moss", "nhs-ggc")
    assert (await world.get("lm_nurse", url)).status_code == 403
    assert (await world.patch("lm_lead", url, {"lead_organisation_id": nhs})).status_code == 200
    assert (await world.get("lm_nurse", url)).status_code == 200


async def test_episodes_are_withheld_and_writes_refused_without_the_protocol(world):
    opened = await new_episode(world)
    url = f"{EPISODES}/{opened['id']}"

    listed = await world.get("lm_nurse", EPISODES, params={"person_id": opened["person_id"]})
    assert listed.status_code == 200 and listed.json()["items"] == []
    read = await world.get("lm_nurse", url)
    assert read.status_code == 403
    assert "read on case notes only for people their organisation works with" in read.text

    moved = await world.post("lm_sacro", f"{url}/phase", {"to": "assessment"})
    assert moved.status_code == 403 and "write on case notes" in moved.json()["detail"]
    sacro = world.org_id("low-moss", "sacro")
    # Sacro cannot make itself the lead partner of a person it does not work with.
    grabbed = await world.patch("lm_sacro", url, {"lead_organisation_id": sacro})
    assert grabbed.status_code == 403

    after = await episode(world, opened["id"])
    assert after["phase"] == "referral" and after["lead_organisation_id"] is None
    assert len(after["history"]) == 1
    assert await audit_rows(world, record_type="episode", action="update") == []
    denials = await audit_rows(world, action="deny")
    assert [(e.user_id, e.detail["action"]) for e in denials] == [
        (world.users["lm_nurse"].id, "read"),
        (world.users["lm_sacro"].id, "write"),
        (world.users["lm_sacro"].id, "write"),
    ]
    assert (await world.get("lm_sacro", url)).status_code == 403  # still not linked
