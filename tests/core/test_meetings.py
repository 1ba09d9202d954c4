"""Case meetings: HMP Perth's daily Persons of Concern Group run end to end, escalation to a
complex-case meeting, closing, and the suggested agenda."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.episodes.models import Episode
from core.meetings.models import CaseMeeting, MeetingAction, MeetingAttendee, MeetingItem
from core.referrals.models import Referral

LM = "/api/v1/t/low-moss"
LC = "/api/v1/t/leicester"
MEETINGS = f"{LM}/meetings"


async def db_run(world, work):
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def audit_rows(world, **where) -> list[AuditEvent]:
    async def work(session):
        stmt = select(AuditEvent).order_by(AuditEvent.at)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list((await session.scalars(stmt)).all())

    return await db_run(world, work)


async def row_counts(world) -> dict[str, int]:
    async def work(session):
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (CaseMeeting, MeetingAttendee, MeetingItem, MeetingAction)
        }

    return await db_run(world, work)


async def add_referral(world, tenant: str, person_id: str, received_at: datetime) -> str:
    async def work(session):
        tenant_id = world.tenants[tenant].id
        episode = Episode(tenant_id=tenant_id, person_id=uuid.UUID(person_id))
        session.add(episode)
        await session.flush()
        referral = Referral(
            tenant_id=tenant_id,
            person_id=uuid.UUID(person_id),
            episode_id=episode.id,
            source="staff_concern",
            received_at=received_at,
            assessment_due_on=received_at.date() + timedelta(days=7),
        )
        session.add(referral)
        await session.commit()
        return str(referral.id)

    return await db_run(world, work)


async def make_person(world, family_name: str, user: str = "lm_worker", base: str = LM) -> str:
    body = {"given_name": "Pat", "family_name": family_name, "date_of_birth": "1991-03-03"}
    response = await world.post(user, f"{base}/persons", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def make_meeting(world, user: str = "lm_officer", **body) -> dict:
    response = await world.post(user, MEETINGS, body)
    assert response.status_code == 201, response.text
    return response.json()


async def refer_from(world, person_id: str, organisation: str) -> None:
    """A referral from ``organisation`` (a night report, a positive test): from then on it
    works with the person, the own_organisation scope of the protocol."""
    response = await world.post(
        "lm_worker",
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


async def ok(response, status: int = 201) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def names_field(response, name: str) -> bool:
    extra = response.json().get("extra") or []
    return any(e.get("key") == name or f"`{name}`" in e.get("message", "") for e in extra)


async def test_daily_meeting_for_three_people_then_escalation_and_close(world):
    today = date.today()
    ann, ben, cal = [await make_person(world, name) for name in ("Adams", "Brown", "Clark")]
    # The prison referred all three (night reports, a positive test); healthcare saw Ann.
    for person_id in (ann, ben, cal):
        await refer_from(world, person_id, "sps-low-moss")
    await refer_from(world, ann, "nhs-ggc")
    meeting = await make_meeting(world)
    assert meeting["kind"] == "daily" and meeting["held_on"] == today.isoformat()
    assert meeting["title"] == f"Daily meeting {today.isoformat()}"
    assert meeting["chair_id"] == str(world.users["lm_officer"].id)
    url = f"{MEETINGS}/{meeting['id']}"

    # Core membership: every discipline at the table.
    sps, nhs = world.org_id("low-moss", "sps-low-moss"), world.org_id("low-moss", "nhs-ggc")
    tps = world.org_id("low-moss", "turning-point-scotland")
    for attendee in [
        {"organisation_id": sps, "user_id": str(world.users["lm_officer"].id), "name": "Officer"},
        {"organisation_id": nhs, "user_id": str(world.users["lm_nurse"].id), "name": "Nurse"},
        {"organisation_id": tps, "name": "  Duty key worker "},
    ]:
        out = await ok(await world.post("lm_officer", f"{url}/attendees", attendee))
        assert out["meeting_id"] == meeting["id"]
    assert out["name"] == "Duty key worker" and out["user_id"] is None

    reasons = {ann: "Night report: found under the influence", ben: "Positive drug test"}
    reasons[cal] = "Self-harm concern on the night shift"
    items = {}
    for person_id, reason in reasons.items():
        item = await ok(
            await world.post(
                "lm_officer", f"{url}/items", {"person_id": person_id, "reason": reason}
            )
        )
        assert item["reason"] == reason and item["escalated"] is False
        items[person_id] = item["id"]

    naloxone = await ok(
        await world.post(
            "lm_nurse",
            f"{url}/actions",
            {
                "description": "Naloxone supply and overdose awareness before liberation",
                "owner_organisation_id": nhs,
                "owner_user_id": str(world.users["lm_nurse"].id),
                "due_on": (today + timedelta(days=2)).isoformat(),
                "item_id": items[ann],
            },
        )
    )
    assert naloxone["completed_at"] is None and naloxone["item_id"] == items[ann]
    one_to_one = await ok(
        await world.post(
            "lm_worker",
            f"{url}/actions",
            {
                "description": "Offer a 1:1 today",
                "owner_organisation_id": tps,
                "item_id": items[ben],
            },
        )
    )
    process = await ok(
        await world.post(
            "lm_officer",
            f"{url}/actions",
            {"description": "Review the night-report template", "owner_organisation_id": sps},
        )
    )
    assert process["item_id"] is None

    for person_id, outcome in [
        (ann, "Accepted full support package"),
        (ben, "Declined today; offer again on Friday"),
        (cal, "Complex case: needs its own meeting"),
    ]:
        changed = await ok(
            await world.patch(
                "lm_officer",
                f"{url}/items/{items[person_id]}",
                {"discussion": "Discussed by all disciplines", "outcome": outcome},
            ),
            200,
        )
        assert changed["outcome"] == outcome and changed["reason"] == reasons[person_id]

    done = await ok(
        await world.patch("lm_nurse", f"{url}/actions/{naloxone['id']}", {"completed": True}), 200
    )
    assert done["completed_at"] is not None
    undone = await ok(
        await world.patch("lm_nurse", f"{url}/actions/{naloxone['id']}", {"completed": False}), 200
    )
    assert undone["completed_at"] is None
    moved = await ok(
        await world.patch(
            "lm_worker",
            f"{url}/actions/{one_to_one['id']}",
            {"due_on": today.isoformat(), "description": "Offer a 1:1 this afternoon"},
        ),
        200,
    )
    assert moved["due_on"] == today.isoformat() and moved["description"].endswith("afternoon")

    # Escalate Cal's complex case to a meeting of its own.
    complex_case = await ok(
        await world.post(
            "lm_officer",
            f"{url}/items/{items[cal]}/escalate",
            {"title": "Cal: MDT", "reason": "Self-harm risk needs every agency"},
        )
    )
    assert complex_case["kind"] == "complex_case"
    assert complex_case["escalated_from_meeting_id"] == meeting["id"]
    assert complex_case["escalated_person_id"] == cal
    assert complex_case["title"] == "Cal: MDT"
    assert [i["person_id"] for i in complex_case["items"]] == [cal]
    twice = await world.post("lm_officer", f"{url}/items/{items[cal]}/escalate")
    assert twice.status_code == 409

    full = await ok(await world.get("lm_worker", url), 200)
    assert full["withheld_items"] == 0 and full["withheld_actions"] == 0
    assert len(full["attendees"]) == 3
    assert {a["organisation_id"] for a in full["attendees"]} == {sps, nhs, tps}
    assert [i["person_id"] for i in full["items"]] == [ann, ben, cal]
    assert [i["escalated"] for i in full["items"]] == [False, False, True]
    assert [i["outcome"] for i in full["items"]] == [
        "Accepted full support package",
        "Declined today; offer again on Friday",
        "Complex case: needs its own meeting",
    ]
    assert [a["id"] for a in full["actions"]] == [naloxone["id"], one_to_one["id"], process["id"]]
    # Sacro works with none of them: the meeting is shared, what it said about them is not.
    withheld = await ok(await world.get("lm_sacro", url), 200)
    assert len(withheld["attendees"]) == 3
    assert withheld["items"] == [] and withheld["withheld_items"] == 3
    assert [a["id"] for a in withheld["actions"]] == [process["id"]]
    assert withheld["withheld_actions"] == 2
    sacro_complex = await ok(await world.get("lm_sacro", f"{MEETINGS}/{complex_case['id']}"), 200)
    assert sacro_complex["escalated_person_id"] is None and sacro_complex["withheld_items"] == 1
    listed = await ok(await world.get("lm_sacro", MEETINGS), 200)
    assert {m["id"]: m["escalated_person_id"] for m in listed["items"]} == {
        meeting["id"]: None,
        complex_case["id"]: None,
    }

    # A complex-case meeting is not itself escalated again.
    nested = await world.post(
        "lm_officer",
        f"{MEETINGS}/{complex_case['id']}/items/{complex_case['items'][0]['id']}/escalate",
    )
    assert nested.status_code == 422

    closed = await ok(await world.post("lm_officer", f"{url}/close"), 200)
    assert closed["closed_at"] is not None and len(closed["items"]) == 3
    before = await row_counts(world)
    dunn = await make_person(world, "Dunn")
    action_url = f"{url}/actions/{one_to_one['id']}"
    refusals = [
        (world.post, f"{url}/close", None),
        (world.post, f"{url}/attendees", {"organisation_id": sps, "name": "Late"}),
        (world.post, f"{url}/items", {"person_id": dunn}),
        (world.patch, f"{url}/items/{items[ben]}", {"outcome": "rewritten"}),
        (world.post, f"{url}/actions", {"description": "x", "owner_organisation_id": sps}),
        (world.post, f"{url}/items/{items[ann]}/escalate", None),
        (world.patch, action_url, {"description": "changed"}),
        (world.patch, action_url, {"completed": True, "due_on": None}),
    ]
    for send, target, payload in refusals:
        response = await send("lm_officer", target, payload)
        assert response.status_code == 409, response.text
    assert await row_counts(world) == before
    # Actions are followed up after the meeting: they can still be marked done.
    followed_up = await ok(
        await world.patch("lm_worker", f"{url}/actions/{one_to_one['id']}", {"completed": True}),
        200,
    )
    assert followed_up["completed_at"] is not None
    final = await ok(await world.get("lm_officer", url), 200)
    assert final["items"][1]["outcome"] == "Declined today; offer again on Friday"
    assert final["actions"][1]["description"] == "Offer a 1:1 this afternoon"

    events = await audit_rows(world, tenant_id=world.tenants["low-moss"].id)
    made = [(e.action, e.record_type) for e in events]
    assert made.count(("create", "case_meeting")) == 2
    assert made.count(("create", "meeting_attendee")) == 3
    assert made.count(("create", "meeting_item")) == 3 + 1  # + the complex-case meeting's
    assert made.count(("escalate", "meeting_item")) == 1
    assert made.count(("create", "meeting_action")) == 3
    assert made.count(("update", "meeting_item")) == 3
    assert made.count(("update", "meeting_action")) == 4
    assert made.count(("close", "case_meeting")) == 1
    assert made.count(("read", "case_meeting")) == 4
    assert made.count(("read", "meeting_item")) == 6  # one per person discussed, per read
    escalation = next(e for e in events if e.action == "escalate")
    assert str(escalation.person_id) == cal
    assert escalation.detail["complex_case_meeting_id"] == complex_case["id"]
    item_reads = {str(e.person_id) for e in events if e.record_type == "meeting_item"}
    assert item_reads == {ann, ben, cal}


async def test_escalation_date_and_defaults(world):
    person_id = await make_person(world, "Evans")
    meeting = await make_meeting(world, held_on="2026-03-02")
    item = await ok(
        await world.post("lm_worker", f"{MEETINGS}/{meeting['id']}/items", {"person_id": person_id})
    )
    early = await world.post(
        "lm_worker",
        f"{MEETINGS}/{meeting['id']}/items/{item['id']}/escalate",
        {"held_on": "2026-03-01"},
    )
    assert early.status_code == 422 and names_field(early, "held_on")
    bad = await world.post(
        "lm_worker", f"{MEETINGS}/{meeting['id']}/items/{item['id']}/escalate", {"room": "B"}
    )
    assert bad.status_code == 400 and "room" in bad.text
    assert (await row_counts(world))["case_meetings"] == 1
    escalated = await ok(
        await world.post(
            "lm_worker",
            f"{MEETINGS}/{meeting['id']}/items/{item['id']}/escalate",
            {"held_on": "2026-03-04", "reason": "Housing and health at one table"},
        )
    )
    assert escalated["held_on"] == "2026-03-04"
    assert escalated["title"] == "Complex case: escalated from the daily meeting of 2026-03-02"
    assert escalated["items"][0]["reason"] == "Escalated from the daily meeting of 2026-03-02"


async def test_one_daily_meeting_a_day(world):
    await make_meeting(world, held_on="2026-04-01")
    again = await world.post("lm_worker", MEETINGS, {"held_on": "2026-04-01"})
    assert again.status_code == 409 and names_field(again, "held_on")
    other = await world.post(
        "lm_worker", MEETINGS, {"kind": "complex_case", "held_on": "2026-04-01"}
    )
    assert other.status_code == 201 and other.json()["title"] == "Complex case meeting 2026-04-01"
    assert (await row_counts(world))["case_meetings"] == 2


async def test_list_filters_and_pages_newest_first(world):
    ids = {}
    for day in ("2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"):
        ids[day] = (await make_meeting(world, held_on=day))["id"]
    ids["complex"] = (await make_meeting(world, kind="complex_case", held_on="2026-01-06"))["id"]
    lc = await world.post("lc_worker", f"{LC}/meetings", {"held_on": "2026-01-07"})
    assert lc.status_code == 201

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await ok(await world.get("lm_worker", MEETINGS, params=params), 200)
        seen += [m["held_on"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["2026-01-08", "2026-01-07", "2026-01-06", "2026-01-06", "2026-01-05"]

    async def listed(**params):
        page = await ok(await world.get("lm_worker", MEETINGS, params=params), 200)
        return [m["id"] for m in page["items"]]

    assert await listed(kind="complex_case") == [ids["complex"]]
    window = await listed(held_from="2026-01-06", held_to="2026-01-07", kind="daily")
    assert window == [ids["2026-01-07"], ids["2026-01-06"]]
    assert await listed(held_from="2026-02-01") == []
    lists = await audit_rows(world, action="list", record_type="case_meeting")
    assert len(lists) == 3 + 3
    for params, name in [({"kind": "weekly"}, "kind"), ({"held_from": "soon"}, "held_from")]:
        response = await world.get("lm_worker", MEETINGS, params=params)
        assert response.status_code == 400 and name in response.text


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"kind": "weekly"}, "kind"),
        ({"held_on": "tomorrow"}, "held_on"),
        ({"held_on": 20260101}, "held_on"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_meeting_bodies(world, body, name):
    response = await world.post("lm_worker", MEETINGS, body)
    assert response.status_code == 400, response.text
    assert names_field(response, name), response.text
    assert (await row_counts(world))["case_meetings"] == 0


async def test_bad_attendees_items_and_actions_write_nothing(world):
    meeting = await make_meeting(world, held_on="2026-05-10")
    url = f"{MEETINGS}/{meeting['id']}"
    other_meeting = await make_meeting(world, held_on="2026-05-11")
    person_id = await make_person(world, "Frost")
    other_item = await ok(
        await world.post(
            "lm_worker", f"{MEETINGS}/{other_meeting['id']}/items", {"person_id": person_id}
        )
    )
    leicester_person = await make_person(world, "Leics", "lc_worker", LC)
    sps = world.org_id("low-moss", "sps-low-moss")
    leicester_org = world.org_id("leicester", "turning-point")
    nurse = str(world.users["lm_nurse"].id)
    before = await row_counts(world)

    cases = [
        ("attendees", {"organisation_id": sps}, 400, "name"),
        ("attendees", {"organisation_id": sps, "name": "A", "role": "chair"}, 400, "role"),
        ("attendees", {"organisation_id": "sps", "name": "A"}, 400, "organisation_id"),
        ("attendees", {"organisation_id": sps, "name": "   "}, 422, "name"),
        ("attendees", {"organisation_id": sps, "name": "A", "user_id": nurse}, 422, "user_id"),
        (
            "attendees",
            {"organisation_id": sps, "name": "A", "user_id": str(world.users["lc_worker"].id)},
            422,
            "user_id",
        ),
        (
            "attendees",
            {"organisation_id": sps, "name": "A", "user_id": str(world.users["admin"].id)},
            422,
            "user_id",
        ),
        ("attendees", {"organisation_id": leicester_org, "name": "A"}, 404, None),
        ("attendees", {"organisation_id": str(uuid.uuid4()), "name": "A"}, 404, None),
        ("items", {"reason": "no one"}, 400, "person_id"),
        ("items", {"person_id": leicester_person}, 404, None),
        ("items", {"person_id": person_id, "reason": 7}, 400, "reason"),
        ("actions", {"owner_organisation_id": sps}, 400, "description"),
        ("actions", {"description": "x", "owner_organisation_id": leicester_org}, 404, None),
        ("actions", {"description": " ", "owner_organisation_id": sps}, 422, "description"),
        (
            "actions",
            {"description": "x", "owner_organisation_id": sps, "due_on": "2026-05-09"},
            422,
            "due_on",
        ),
        (
            "actions",
            {"description": "x", "owner_organisation_id": sps, "owner_user_id": nurse},
            422,
            "owner_user_id",
        ),
        (
            "actions",
            {"description": "x", "owner_organisation_id": sps, "item_id": other_item["id"]},
            404,
            None,
        ),
        ("actions", {"description": "x" * 2001, "owner_organisation_id": sps}, 400, "description"),
    ]
    for path, body, status, name in cases:
        response = await world.post("lm_worker", f"{url}/{path}", body)
        assert response.status_code == status, (path, body, response.text)
        if name:
            assert names_field(response, name), response.text
        assert "Traceback" not in response.text
    assert await row_counts(world) == before
    for username in ("lc_worker", "admin"):
        body = {"organisation_id": sps, "name": "A", "user_id": str(world.users[username].id)}
        response = await world.post("lm_worker", f"{url}/attendees", body)
        assert response.json()["detail"] == "No such member of this partnership"

    # Duplicates are conflicts, not second rows.
    first = {
        "organisation_id": sps,
        "name": "Officer",
        "user_id": str(world.users["lm_officer"].id),
    }
    await ok(await world.post("lm_worker", f"{url}/attendees", first))
    assert (await world.post("lm_worker", f"{url}/attendees", first)).status_code == 409
    same_name = {"organisation_id": sps, "name": "OFFICER"}
    await ok(await world.post("lm_worker", f"{url}/attendees", {**same_name, "name": "Guest"}))
    assert (
        await world.post("lm_worker", f"{url}/attendees", {**same_name, "name": "guest"})
    ).status_code == 409
    await ok(await world.post("lm_worker", f"{url}/items", {"person_id": person_id}))
    dup = await world.post("lm_worker", f"{url}/items", {"person_id": person_id})
    assert dup.status_code == 409 and names_field(dup, "person_id")

    # Items and actions belong to their own meeting.
    wrong = f"{url}/items/{other_item['id']}"
    assert (await world.patch("lm_worker", wrong, {"outcome": "x"})).status_code == 404
    assert (await world.post("lm_worker", f"{wrong}/escalate")).status_code == 404
    assert (await world.patch("lm_worker", f"{url}/actions/{uuid.uuid4()}", {})).status_code == 404
    bad_patch = await world.patch(
        "lm_worker", f"{MEETINGS}/{other_meeting['id']}/items/{other_item['id']}", {"reason": "x"}
    )
    assert bad_patch.status_code == 400 and "reason" in bad_patch.text


async def test_other_tenant_sees_no_meeting(world):
    meeting = await make_meeting(world)
    url = f"{MEETINGS}/{meeting['id']}"
    assert (await world.get("lc_worker", url)).status_code == 404
    assert (await world.get("lc_worker", MEETINGS)).status_code == 404
    assert (await world.get("lc_worker", f"{LC}/meetings/{meeting['id']}")).status_code == 404
    leicester_person = await make_person(world, "Leics", "lc_worker", LC)
    response = await world.post(
        "lc_worker", f"{LC}/meetings/{meeting['id']}/items", {"person_id": leicester_person}
    )
    assert response.status_code == 404
    assert (
        await world.post("lc_worker", f"{LC}/meetings/{meeting['id']}/close")
    ).status_code == 404
    assert (await world.get("lc_worker", f"{LC}/meetings")).json()["items"] == []
    assert (await world.get("lm_worker", url)).json()["closed_at"] is None
    assert (await world.get("admin", url)).status_code == 404


async def test_agenda_suggests_new_referrals_and_open_actions(world):
    day = date(2026, 3, 10)
    previous = await make_meeting(world, held_on="2026-03-08")
    await make_meeting(world, held_on="2026-03-05")  # older: not the previous meeting
    # A complex-case meeting in between is not the previous daily meeting.
    await make_meeting(world, kind="complex_case", held_on="2026-03-09")
    current = await make_meeting(world, held_on="2026-03-10")
    # Turning Point registered all of these, so its worker reads their case notes.
    adams = await make_person(world, "Adams")  # referred the morning of the previous meeting
    baker = await make_person(world, "Baker")  # referred today, and an open action
    cole = await make_person(world, "Cole")  # an open action from the previous meeting
    early = await make_person(world, "Early")  # referred before the previous meeting's day
    later = await make_person(world, "Later")  # referred after the agenda's day
    done = await make_person(world, "Done")  # its action is complete
    today_only = await make_person(world, "Todayonly")  # action from today's own meeting
    leicester_person = await make_person(world, "Leics", "lc_worker", LC)

    def utc(d: str, hh: int) -> datetime:
        return datetime.fromisoformat(f"{d}T{hh:02d}:00:00+00:00").astimezone(UTC)

    adams_referral = await add_referral(world, "low-moss", adams, utc("2026-03-08", 6))
    baker_referral = await add_referral(world, "low-moss", baker, utc("2026-03-10", 7))
    await add_referral(world, "low-moss", early, utc("2026-03-07", 23))
    await add_referral(world, "low-moss", later, utc("2026-03-11", 1))
    await add_referral(world, "leicester", leicester_person, utc("2026-03-09", 12))

    sps = world.org_id("low-moss", "sps-low-moss")

    async def action_for(meeting: dict, person_id: str, text: str) -> dict:
        url = f"{MEETINGS}/{meeting['id']}"
        item = await ok(await world.post("lm_officer", f"{url}/items", {"person_id": person_id}))
        body = {"description": text, "owner_organisation_id": sps, "item_id": item["id"]}
        return await ok(await world.post("lm_officer", f"{url}/actions", body))

    baker_action = await action_for(previous, baker, "Check in after court")
    cole_action = await action_for(previous, cole, "Housing referral")
    finished = await action_for(previous, done, "Phone family")
    await ok(
        await world.patch(
            "lm_officer",
            f"{MEETINGS}/{previous['id']}/actions/{finished['id']}",
            {"completed": True},
        ),
        200,
    )
    await action_for(current, today_only, "Raised today")
    await ok(
        await world.post(
            "lm_officer",
            f"{MEETINGS}/{previous['id']}/actions",
            {"description": "No person attached", "owner_organisation_id": sps},
        )
    )
    # Closing the previous meeting does not hide its open actions.
    await ok(await world.post("lm_officer", f"{MEETINGS}/{previous['id']}/close"), 200)

    response = await world.get("lm_worker", f"{MEETINGS}/agenda", params={"date": day.isoformat()})
    agenda = await ok(response, 200)
    assert agenda["withheld"] == 0
    assert agenda["date"] == "2026-03-10"
    assert agenda["previous_meeting_id"] == previous["id"]
    assert agenda["previous_held_on"] == "2026-03-08"
    assert agenda["referrals_since"] == "2026-03-08T00:00:00Z"
    assert [p["person_id"] for p in agenda["persons"]] == [adams, baker, cole]
    assert [p["family_name"] for p in agenda["persons"]] == ["Adams", "Baker", "Cole"]
    adams_entry, baker_entry, cole_entry = agenda["persons"]
    assert adams_entry["given_name"] == "Pat"
    assert [(r["why"], r["record_id"]) for r in adams_entry["reasons"]] == [
        ("referral", adams_referral)
    ]
    assert adams_entry["reasons"][0]["referral_source"] == "staff_concern"
    assert adams_entry["reasons"][0]["received_at"] == "2026-03-08T06:00:00Z"
    assert [(r["why"], r["record_id"]) for r in baker_entry["reasons"]] == [
        ("referral", baker_referral),
        ("open_action", baker_action["id"]),
    ]
    assert cole_entry["reasons"] == [
        {
            "why": "open_action",
            "record_id": cole_action["id"],
            "referral_source": None,
            "received_at": None,
            "decided_at": None,
            "meeting_id": previous["id"],
            "held_on": "2026-03-08",
            "description": "Housing referral",
            "due_on": None,
            # Who owns it, named on the agenda; the worker who registered Cole may mark it
            # done (Turning Point writes the case notes of those it registered).
            "owner_organisation_id": sps,
            "owner_organisation_name": "SPS HMP Low Moss",
            "owner_user_id": None,
            "owner_user_name": None,
            "writable": True,
        }
    ]
    # Completing the action takes the person off the next agenda.
    await ok(
        await world.patch(
            "lm_officer",
            f"{MEETINGS}/{previous['id']}/actions/{cole_action['id']}",
            {"completed": True},
        ),
        200,
    )
    again = await ok(
        await world.get("lm_worker", f"{MEETINGS}/agenda", params={"date": "2026-03-10"}), 200
    )
    assert [p["person_id"] for p in again["persons"]] == [adams, baker]
    # The prison raised Baker at the previous meeting, which makes no relation (issue 13):
    # it works with neither, and is told how many others, not who.
    officer = await ok(
        await world.get("lm_officer", f"{MEETINGS}/agenda", params={"date": "2026-03-10"}), 200
    )
    assert [p["person_id"] for p in officer["persons"]] == []
    assert officer["withheld"] == 2

    events = await audit_rows(world, record_type="meeting_agenda")
    assert [e.action for e in events] == ["list", "list", "list"]
    assert events[0].detail == {"date": "2026-03-10", "returned": 3, "withheld": 0}
    assert events[2].detail == {"date": "2026-03-10", "returned": 0, "withheld": 2}

    leicester = await ok(
        await world.get("lc_worker", f"{LC}/meetings/agenda", params={"date": "2026-03-10"}), 200
    )
    assert [p["person_id"] for p in leicester["persons"]] == [leicester_person]
    assert leicester["previous_meeting_id"] is None


async def test_agenda_without_a_previous_meeting_looks_back_one_day(world):
    person_id = await make_person(world, "Night")
    yesterday = datetime.combine(date.today() - timedelta(days=1), time(0, 5), tzinfo=UTC)
    await add_referral(world, "low-moss", person_id, yesterday)
    await add_referral(
        world, "low-moss", await make_person(world, "Old"), yesterday - timedelta(days=1)
    )
    agenda = await ok(await world.get("lm_worker", f"{MEETINGS}/agenda"), 200)
    assert agenda["date"] == date.today().isoformat()
    assert agenda["previous_meeting_id"] is None
    assert [p["person_id"] for p in agenda["persons"]] == [person_id]
    bad = await world.get("lm_worker", f"{MEETINGS}/agenda", params={"date": "next tuesday"})
    assert bad.status_code == 400 and names_field(bad, "date")
    assert (await world.get("lc_worker", f"{MEETINGS}/agenda")).status_code == 404


async def test_a_declined_offer_comes_back_to_the_next_meeting_for_review(world):
    """HMP Perth: the group always reviews and considers what more they can do."""
    person_id = await make_person(world, "Declined")
    referral_id = await add_referral(
        world, "low-moss", person_id, datetime.now(UTC) - timedelta(days=10)
    )
    # Referred ten days ago (long before the agenda's window), declined yesterday.
    declined_at = datetime.combine(date.today() - timedelta(days=1), time(15), tzinfo=UTC)

    async def decline(session):
        referral = await session.get(
            Referral, (world.tenants["low-moss"].id, uuid.UUID(referral_id))
        )
        referral.decision, referral.decided_at = "declined", declined_at
        await session.commit()

    await db_run(world, decline)
    agenda = await ok(await world.get("lm_worker", f"{MEETINGS}/agenda"), 200)
    entry = next(p for p in agenda["persons"] if p["person_id"] == person_id)
    assert [r["why"] for r in entry["reasons"]] == ["declined_offer"]
    assert entry["reasons"][0]["record_id"] == referral_id
    # Once: an agenda after the next day's meeting no longer carries it.
    later = (date.today() + timedelta(days=2)).isoformat()
    await make_meeting(world, kind="daily", held_on=(date.today() + timedelta(days=1)).isoformat())
    after = await ok(
        await world.get("lm_worker", f"{MEETINGS}/agenda", params={"date": later}), 200
    )
    assert person_id not in [p["person_id"] for p in after["persons"]]


# ---------------------------------------------------------------- the sharing protocol


async def test_items_are_shown_only_to_those_who_may_read_the_persons_case_notes(world):
    person_id = await make_person(world, "Grant")
    meeting = await make_meeting(world)
    url = f"{MEETINGS}/{meeting['id']}"
    item = await ok(
        await world.post("lm_worker", f"{url}/items", {"person_id": person_id, "reason": "Test"})
    )
    # The NHS does not work with the person: the item is withheld, and said to be.
    nurse = await ok(await world.get("lm_nurse", url), 200)
    assert nurse["items"] == [] and nurse["withheld_items"] == 1
    mine = await ok(await world.get("lm_worker", url), 200)
    assert [i["id"] for i in mine["items"]] == [item["id"]]
    reads = await audit_rows(world, record_type="meeting_item", action="read")
    assert [(str(e.person_id), e.user_id) for e in reads] == [
        (person_id, world.users["lm_worker"].id)
    ]

    # Once healthcare referred them, the NHS reads it: decided live, per request.
    await refer_from(world, person_id, "nhs-ggc")
    nurse = await ok(await world.get("lm_nurse", url), 200)
    assert [i["id"] for i in nurse["items"]] == [item["id"]] and nurse["withheld_items"] == 0


async def test_writing_about_a_person_without_the_write_is_403_and_writes_nothing(world):
    person_id = await make_person(world, "Hughes")
    meeting = await make_meeting(world)
    url = f"{MEETINGS}/{meeting['id']}"
    item = await ok(await world.post("lm_worker", f"{url}/items", {"person_id": person_id}))
    before = await row_counts(world)
    other = await make_person(world, "Irvine")
    nhs = world.org_id("low-moss", "nhs-ggc")

    refusals = [
        await world.post("lm_nurse", f"{url}/items", {"person_id": other, "reason": "x"}),
        await world.patch("lm_nurse", f"{url}/items/{item['id']}", {"outcome": "x"}),
        await world.post(
            "lm_nurse",
            f"{url}/actions",
            {"description": "Naloxone", "owner_organisation_id": nhs, "item_id": item["id"]},
        ),
        await world.post("lm_nurse", f"{url}/items/{item['id']}/escalate"),
    ]
    for response in refusals:
        assert response.status_code == 403, response.text
        assert "write on case notes" in response.json()["detail"]
    assert await row_counts(world) == before
    again = await ok(await world.get("lm_worker", url), 200)
    assert again["items"][0]["outcome"] is None and again["items"][0]["escalated"] is False
    denials = await audit_rows(world, action="deny")
    assert [(e.record_type, e.detail["action"], e.user_id) for e in denials] == [
        ("case_notes", "write", world.users["lm_nurse"].id)
    ] * 4
    # An action about no one is partnership business: the nurse may agree it.
    await ok(
        await world.post(
            "lm_nurse",
            f"{url}/actions",
            {"description": "Clinic rota", "owner_organisation_id": nhs},
        )
    )
