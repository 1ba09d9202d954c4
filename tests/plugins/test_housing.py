"""The housing plugin over its API: the registration pipeline and its history, each local
authority's rule (on-liberation-day authorities), validation, audit, and who may see it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from tests.plugins.housing_support import (
    HOUSING,
    LC,
    LM,
    OFFICER,
    add_officer,
    audit_rows,
    make_person,
    open_record,
    step,
    uid,
)


@pytest.fixture
async def officer(world):
    await add_officer(world)
    return world


async def test_pipeline_moves_along_with_dates_and_who_acted(officer):
    world = officer
    today = clock.today()
    person = await make_person(world, today + timedelta(days=70))
    opened = await open_record(world, person)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["status"] == "not_started"
    assert body["local_authority_name"] == "Glasgow City Council"
    assert body["registration_rule"] == "before_liberation"
    assert body["needs"] == "One-bedroom tenancy near family."

    submitted_on = today
    assert (await step(world, person, "application_submitted", submitted_on)).status_code == 200
    moved = await step(world, person, "registered")
    assert moved.status_code == 200, moved.text
    record = moved.json()
    assert record["status"] == "registered"
    assert record["status_on"] == today.isoformat()
    history = [(s["from_status"], s["to_status"], s["on_date"]) for s in record["steps"]]
    assert history == [
        (None, "not_started", today.isoformat()),
        ("not_started", "application_submitted", submitted_on.isoformat()),
        ("application_submitted", "registered", today.isoformat()),
    ]
    officer_id = str(world.users[OFFICER].id)
    glasgow = world.org_id("low-moss", "glasgow-city-council")
    assert {(s["acted_by"], s["organisation_id"]) for s in record["steps"]} == {
        (officer_id, glasgow)
    }
    # Registered with a fortnight per remaining step to spare: the next step is the offer.
    assert record["next_action"]["status"] == "offer_made"
    assert record["next_action"]["due"] == (today + timedelta(days=70 - 14)).isoformat()

    got = await world.get(OFFICER, f"{HOUSING}/persons/{person}")
    assert got.status_code == 200
    assert got.json()["steps"] == record["steps"]
    events = await audit_rows(world, record_type="housing_record", person_id=uid(person))
    assert [e.action for e in events] == ["create", "update", "update", "read"]
    assert events[1].detail["to"] == "application_submitted"
    assert all(e.user_id == world.users[OFFICER].id for e in events)


async def test_refused_moves_name_the_field(officer):
    world = officer
    today = clock.today()
    person = await make_person(world, today + timedelta(days=40))
    await open_record(world, person)
    skip = await step(world, person, "accommodation_secured")
    assert skip.status_code == 422
    assert skip.json()["extra"][0]["key"] == "status"
    assert "'not_started' can move to application_submitted, no_fixed_abode" in skip.text

    future = await step(world, person, "application_submitted", today + timedelta(days=1))
    assert future.status_code == 422
    assert future.json()["extra"][0]["key"] == "on_date"

    early = await step(world, person, "application_submitted", today - timedelta(days=1))
    assert early.status_code == 422  # the record was opened today
    assert "before the previous one" in early.text

    unknown = await world.post(OFFICER, f"{HOUSING}/persons/{person}/steps", {"status": "won"})
    assert unknown.status_code == 400
    extra = await world.post(
        OFFICER, f"{HOUSING}/persons/{person}/steps", {"status": "registered", "by": "me"}
    )
    assert extra.status_code == 400

    again = await open_record(world, person)
    assert again.status_code == 409

    # Nothing refused left a step behind.
    record = (await world.get(OFFICER, f"{HOUSING}/persons/{person}")).json()
    assert [s["to_status"] for s in record["steps"]] == ["not_started"]


async def test_no_local_authority_no_application(officer):
    world = officer
    person = await make_person(world, clock.today() + timedelta(days=40))
    assert (await open_record(world, person, authority=None)).status_code == 201
    refused = await step(world, person, "application_submitted")
    assert refused.status_code == 422
    assert refused.json()["extra"][0]["key"] == "local_authority_id"

    # Any organisation that is not one of this partnership's local authorities is refused.
    for org in (
        world.org_id("low-moss", "sacro"),
        world.org_id("leicester", "rutland-county-council"),
    ):
        bad = await world.patch(OFFICER, f"{HOUSING}/persons/{person}", {"local_authority_id": org})
        assert bad.status_code == 422
        assert bad.json()["extra"][0]["key"] == "local_authority_id"


async def test_the_authority_is_fixed_once_an_application_is_in(officer):
    world = officer
    person = await make_person(world, clock.today() + timedelta(days=40))
    await open_record(world, person)
    changed = await world.patch(
        OFFICER,
        f"{HOUSING}/persons/{person}",
        {"local_authority_id": world.org_id("low-moss", "west-dunbartonshire-council")},
    )
    assert changed.status_code == 200
    assert changed.json()["registration_rule"] == "on_liberation_day"
    back = await world.patch(
        OFFICER,
        f"{HOUSING}/persons/{person}",
        {"local_authority_id": world.org_id("low-moss", "glasgow-city-council")},
    )
    assert back.status_code == 200
    await step(world, person, "application_submitted")
    fixed = await world.patch(
        OFFICER,
        f"{HOUSING}/persons/{person}",
        {"local_authority_id": world.org_id("low-moss", "east-dunbartonshire-council")},
    )
    assert fixed.status_code == 422
    assert "already with Glasgow City Council" in fixed.text
    needs = await world.patch(OFFICER, f"{HOUSING}/persons/{person}", {"needs": "  Ground floor. "})
    assert needs.status_code == 200
    assert needs.json()["needs"] == "Ground floor."


async def test_on_liberation_day_authority_registers_only_on_the_day(officer):
    world = officer
    today = clock.today()
    later = await make_person(world, today + timedelta(days=20), family_name="Later")
    opened = await open_record(world, later, "east-dunbartonshire-council")
    assert opened.json()["registration_rule"] == "on_liberation_day"
    action = opened.json()["next_action"]
    assert action["liberation_day_action"] is True
    assert action["status"] == "application_submitted"
    assert action["due"] == (today + timedelta(days=20)).isoformat()

    refused = await step(world, later, "application_submitted")
    assert refused.status_code == 422
    assert refused.json()["extra"][0]["key"] == "on_date"
    message = refused.json()["detail"]
    assert (
        "East Dunbartonshire Council registers people for housing only on their liberation"
        in message
    )
    assert (today + timedelta(days=20)).isoformat() in message

    # On the liberation day itself the application goes in.
    due_today = await make_person(world, today, family_name="Today")
    await open_record(world, due_today, "east-dunbartonshire-council")
    assert (await step(world, due_today, "application_submitted")).status_code == 200

    # A before-liberation authority takes the same application weeks ahead.
    glasgow = await make_person(world, today + timedelta(days=20), family_name="Glasgow")
    await open_record(world, glasgow, "glasgow-city-council")
    assert (await step(world, glasgow, "application_submitted")).status_code == 200

    # With no liberation date, an on-the-day authority cannot take an application at all.
    undated = await make_person(world, None, family_name="Undated")
    await open_record(world, undated, "west-dunbartonshire-council")
    no_date = await step(world, undated, "application_submitted")
    assert no_date.status_code == 422
    assert "no liberation date" in no_date.text


async def test_no_fixed_abode_is_recorded_at_liberation_only(officer):
    world = officer
    today = clock.today()
    ahead = await make_person(world, today + timedelta(days=10), family_name="Ahead")
    await open_record(world, ahead)
    early = await step(world, ahead, "no_fixed_abode")
    assert early.status_code == 422
    assert early.json()["extra"][0]["key"] == "on_date"
    assert "at liberation" in early.text

    undated = await make_person(world, None, family_name="Undated")
    await open_record(world, undated)
    assert (await step(world, undated, "no_fixed_abode")).status_code == 422

    out_today = await make_person(world, today, family_name="Out")
    await open_record(world, out_today)
    nfa = await step(world, out_today, "no_fixed_abode")
    assert nfa.status_code == 200
    assert nfa.json()["rag"] == "red"
    assert nfa.json()["next_action"]["label"].startswith("Submit a homeless application")
    # The work goes on in the community.
    assert (await step(world, out_today, "application_submitted")).status_code == 200


async def test_who_may_see_and_change_housing(officer):
    world = officer
    today = clock.today()
    # Registered by Turning Point: TPS case workers read its housing (own organisation).
    tps_person = await make_person(world, today + timedelta(days=30), family_name="Tps")
    # Registered by Sacro: Turning Point's worker has no relation to this person.
    sacro_person = await make_person(
        world, today + timedelta(days=31), username="lm_sacro", family_name="Sacro"
    )
    for person in (tps_person, sacro_person):
        assert (await open_record(world, person)).status_code == 201

    assert (await world.get("lm_worker", f"{HOUSING}/persons/{tps_person}")).status_code == 200
    board = (await world.get("lm_worker", f"{HOUSING}/board")).json()["items"]
    assert [i["person_id"] for i in board] == [tps_person]
    # The person is known to the worker (identity is shared), their housing is not.
    refused = await world.get("lm_worker", f"{HOUSING}/persons/{sacro_person}")
    assert refused.status_code == 403
    assert "housing" in refused.json()["detail"]
    # Reading is not writing: a case worker cannot move the registration.
    assert (
        await step(world, tps_person, "application_submitted", username="lm_worker")
    ).status_code == 403

    # A nurse holds no housing grant at all: an empty board, never a record.
    assert (await world.get("lm_nurse", f"{HOUSING}/board")).json()["items"] == []
    assert (await world.get("lm_nurse", f"{HOUSING}/persons/{tps_person}")).status_code == 403
    denials = await audit_rows(world, action="deny", record_type="housing")
    assert {e.person_id for e in denials} >= {uid(sacro_person), uid(tps_person)}
    officer_board = (await world.get(OFFICER, f"{HOUSING}/board")).json()["items"]
    assert [i["person_id"] for i in officer_board] == [tps_person, sacro_person]


async def test_tenant_isolation(officer):
    world = officer
    person = await make_person(world, clock.today() + timedelta(days=30))
    await open_record(world, person)
    # Leicester has housing on too, but a Low Moss person does not exist there.
    assert (await world.get("lc_worker", f"{LC}/housing/persons/{person}")).status_code == 404
    assert (await world.get("lc_worker", f"{LC}/housing/board")).json()["items"] == []
    # Not a member of Low Moss: everything under its prefix is absent.
    assert (await world.get("lc_worker", f"{HOUSING}/board")).status_code == 404
    assert (await world.get("lc_worker", f"{HOUSING}/persons/{person}")).status_code == 404
    assert (
        await open_record(
            world, person, "leicester-city-council", tenant="leicester", username="lc_worker"
        )
    ).status_code == 404
    assert (await world.get(OFFICER, f"{LM}/housing/authorities")).status_code == 200
    slugs = [a["slug"] for a in (await world.get(OFFICER, f"{LM}/housing/authorities")).json()]
    assert slugs == [
        "east-dunbartonshire-council",
        "glasgow-city-council",
        "west-dunbartonshire-council",
    ]
