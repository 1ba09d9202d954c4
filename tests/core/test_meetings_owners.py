"""Meeting actions owned by named people, who may mark them done, and escalations that say
why (issue 12), through the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.core.test_meetings import (
    LM,
    MEETINGS,
    audit_rows,
    make_meeting,
    make_person,
    names_field,
    ok,
    refer_from,
    row_counts,
)

TASKS = f"{LM}/tasks"


async def meeting_with_item(world: Any, held_on: date | None = None) -> tuple[str, str, str]:
    """A daily meeting (chaired by the prison) with one person on it: its URL, the item
    and the person."""
    person_id = await make_person(world, "Owens")
    await refer_from(world, person_id, "sps-low-moss")  # the prison works with them
    body = {"held_on": held_on.isoformat()} if held_on else {}
    meeting = await make_meeting(world, **body)
    url = f"{MEETINGS}/{meeting['id']}"
    item = await ok(await world.post("lm_officer", f"{url}/items", {"person_id": person_id}))
    return url, item["id"], person_id


async def open_tasks(world: Any, user: str, done: bool = False) -> list[dict[str, Any]]:
    listed = await ok(await world.get(user, TASKS, params={"done": str(done).lower()}), 200)
    return [t for t in listed["items"] if t["kind"] == "meeting_action"]


async def share_case_notes_with(world: Any, person_id: str, organisation: str) -> None:
    """The person consents to their case notes going to ``organisation``: it may read
    them across the partnership, but (by the Low Moss protocol) not write them."""
    response = await world.post(
        "lm_worker",
        f"{LM}/persons/{person_id}/consents",
        {
            "category": "case_notes",
            "recipient_organisation_id": world.org_id("low-moss", organisation),
            "purpose": "Follow-up after the daily meeting",
            "lawful_basis": "consent",
        },
    )
    assert response.status_code == 201, response.text


async def test_a_named_owner_gets_the_action_in_their_tasks_until_it_is_done(world):
    url, item_id, person_id = await meeting_with_item(world)
    sacro = world.org_id("low-moss", "sacro")
    due = (date.today() + timedelta(days=3)).isoformat()
    action = await ok(
        await world.post(
            "lm_officer",
            f"{url}/actions",
            {
                "description": "Book a housing appointment",
                "owner_organisation_id": sacro,
                "owner_user_id": str(world.users["lm_sacro"].id),
                "due_on": due,
                "item_id": item_id,
            },
        )
    )
    assert action["owner_user_id"] == str(world.users["lm_sacro"].id)
    detail = await ok(await world.get("lm_officer", url), 200)
    (shown,) = detail["actions"]
    assert shown["owner_user_name"] == "Lm Sacro"
    assert shown["owner_organisation_name"] == "Sacro"

    (task,) = await open_tasks(world, "lm_sacro")
    assert task["title"] == "Action from the daily meeting"  # generic: the rest is case notes
    assert task["due_date"] == due and task["person_id"] == person_id
    assert task["link"] == f"/t/low-moss/meetings/{detail['id']}#item-{item_id}"
    assert await open_tasks(world, "lm_officer") == []

    action_url = f"{url}/actions/{action['id']}"
    await ok(await world.patch("lm_officer", action_url, {"completed": True}), 200)
    assert await open_tasks(world, "lm_sacro") == []
    assert [t["id"] for t in await open_tasks(world, "lm_sacro", done=True)] == [task["id"]]
    # Marked not done after all: the task is back, and follows a new due date.
    later = (date.today() + timedelta(days=5)).isoformat()
    await ok(await world.patch("lm_officer", action_url, {"completed": False}), 200)
    await ok(await world.patch("lm_officer", action_url, {"due_on": later}), 200)
    (back,) = await open_tasks(world, "lm_sacro")
    assert back["id"] == task["id"] and back["due_date"] == later


async def test_an_owner_who_is_not_a_member_of_the_owning_organisation_is_refused(world):
    url, item_id, _ = await meeting_with_item(world)
    before = await row_counts(world)
    nhs = world.org_id("low-moss", "nhs-ggc")
    for user, words in [
        ("lm_sacro", "Lm Sacro is not a member of NHS Greater Glasgow and Clyde"),
        ("lc_worker", "No such member of this partnership"),  # another partnership's
    ]:
        refused = await world.post(
            "lm_officer",
            f"{url}/actions",
            {
                "description": "See the nurse",
                "owner_organisation_id": nhs,
                "owner_user_id": str(world.users[user].id),
                "item_id": item_id,
            },
        )
        assert refused.status_code == 422, refused.text
        assert names_field(refused, "owner_user_id") and words in refused.text
    assert await row_counts(world) == before
    assert await open_tasks(world, "lm_sacro") == []


async def test_the_agenda_names_the_owner_and_says_who_may_mark_it_done(world):
    yesterday = date.today() - timedelta(days=1)
    url, item_id, person_id = await meeting_with_item(world, yesterday)
    await ok(
        await world.post(
            "lm_officer",
            f"{url}/actions",
            {
                "description": "Register with a GP",
                "owner_organisation_id": world.org_id("low-moss", "sacro"),
                "owner_user_id": str(world.users["lm_sacro"].id),
                "item_id": item_id,
            },
        )
    )
    agenda = await ok(await world.get("lm_officer", f"{MEETINGS}/agenda"), 200)
    (entry,) = [p for p in agenda["persons"] if p["person_id"] == person_id]
    # Referred today and with an action open from yesterday: on the agenda for both.
    assert [r["why"] for r in entry["reasons"]] == ["referral", "open_action"]
    reason = entry["reasons"][1]
    assert reason["owner_user_name"] == "Lm Sacro"
    assert reason["owner_organisation_name"] == "Sacro"
    assert reason["writable"] is True

    # Sacro reads the person's case notes by consent, but may not write them: the agenda
    # says so, and the write is refused as the flag said it would be.
    await share_case_notes_with(world, person_id, "sacro")
    seen = await ok(await world.get("lm_sacro", f"{MEETINGS}/agenda"), 200)
    (entry,) = [p for p in seen["persons"] if p["person_id"] == person_id]
    (seen_action,) = [r for r in entry["reasons"] if r["why"] == "open_action"]
    assert seen_action["writable"] is False
    detail = await ok(await world.get("lm_sacro", url), 200)
    assert [i["writable"] for i in detail["items"]] == [False]
    assert [a["writable"] for a in detail["actions"]] == [False]
    action_url = f"{url}/actions/{seen_action['record_id']}"
    assert (await world.patch("lm_sacro", action_url, {"completed": True})).status_code == 403
    mine = await ok(await world.get("lm_officer", url), 200)
    assert [a["writable"] for a in mine["actions"]] == [True]


async def test_an_escalation_needs_a_reason_kept_on_the_meeting_and_in_the_audit(world):
    url, item_id, person_id = await meeting_with_item(world)
    escalate = f"{url}/items/{item_id}/escalate"
    before = await row_counts(world)
    for body in (None, {"reason": "   "}, {"title": "No reason given"}):
        refused = await world.post("lm_officer", escalate, body)
        assert refused.status_code == 422, refused.text
        assert names_field(refused, "reason")
        assert "Enter why the case is being escalated" in refused.text
    assert await row_counts(world) == before

    why = "  Threats on the hall; needs housing and health together  "
    complex_case = await ok(await world.post("lm_officer", escalate, {"reason": why}))
    assert complex_case["escalation_reason"] == why.strip()
    (event,) = await audit_rows(world, action="escalate")
    assert event.detail["reason"] == why.strip()
    assert str(event.person_id) == person_id
    listed = await ok(await world.get("lm_officer", MEETINGS, params={"kind": "complex_case"}), 200)
    assert [m["escalation_reason"] for m in listed["items"]] == [why.strip()]
    # Sacro does not work with the person: why the case was escalated is withheld with them.
    withheld = await ok(await world.get("lm_sacro", f"{MEETINGS}/{complex_case['id']}"), 200)
    assert withheld["escalation_reason"] is None and withheld["escalated_person_id"] is None
    listed = await ok(await world.get("lm_sacro", MEETINGS, params={"kind": "complex_case"}), 200)
    assert [m["escalation_reason"] for m in listed["items"]] == [None]
