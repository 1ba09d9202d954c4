"""Onward referrals: to prison psychology (through the GP or the OMT), community treatment
on release and mutual aid; sent, then accepted or declined, then attended or not."""

from __future__ import annotations

import uuid
from typing import Any

from tests.core.test_outcomes import LM, audit_rows, make_person
from tests.core.test_treatment import field_of, person_in_treatment, today
from tests.core.test_web import PAGES, csrf_from, sign_in

ONWARD = f"{LM}/onward-referrals"


async def send(world: Any, person_id: str, service: str, user: str = "lm_worker", **extra: Any):
    return await world.post(
        user, ONWARD, {"person_id": person_id, "service": service, "sent_on": today(), **extra}
    )


async def test_a_referral_to_psychology_goes_through_the_gp_or_the_omt(world: Any) -> None:
    person_id, episode_id = await person_in_treatment(world)
    # A case worker who may not write health cannot refer to psychology at all.
    assert (await send(world, person_id, "prison_psychology")).status_code == 403
    no_route = await send(world, person_id, "prison_psychology", user="lm_nurse")
    assert no_route.status_code == 422 and field_of(no_route) == "route"
    sent = await send(
        world,
        person_id,
        "prison_psychology",
        user="lm_nurse",
        route="prison_gp",
        reason="Assessment found a need for counselling",
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["status"], body["route"], body["episode_id"]) == ("sent", "prison_gp", episode_id)
    assert [s["status"] for s in body["history"]] == ["sent"]


async def test_status_moves_forward_with_its_history_kept(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    sent = await send(
        world, person_id, "community_treatment", receiving_service="Glasgow ADRS North East"
    )
    referral_id = sent.json()["id"]
    url = f"{ONWARD}/{referral_id}/status"
    # A declined referral must say why; attending straight from "sent" is allowed.
    assert (
        await world.post("lm_worker", url, {"status": "did_not_attend", "on": today()})
    ).status_code == 422
    accepted = await world.post("lm_worker", url, {"status": "accepted", "on": today()})
    assert accepted.status_code == 200, accepted.text
    appointment = await world.post(
        "lm_worker", f"{ONWARD}/{referral_id}/appointment", {"appointment_on": today(3)}
    )
    assert appointment.status_code == 200, appointment.text
    assert appointment.json()["appointment_on"] == today(3)
    missed = await world.post("lm_worker", url, {"status": "did_not_attend", "on": today()})
    assert missed.status_code == 200
    back = await world.post(
        "lm_worker", url, {"status": "attended", "on": today(), "reason": "Re-engaged"}
    )
    assert back.status_code == 200
    history = back.json()["history"]
    assert [s["status"] for s in history] == ["sent", "accepted", "did_not_attend", "attended"]
    assert history[-1]["by"] == "Lm Worker" and history[-1]["reason"] == "Re-engaged"
    # Attended is final.
    final = await world.post("lm_worker", url, {"status": "declined", "on": today(), "reason": "x"})
    assert final.status_code == 422 and field_of(final) == "status"
    future = await send(world, person_id, "mutual_aid_smart")
    dated = await world.post(
        "lm_worker",
        f"{ONWARD}/{future.json()['id']}/status",
        {"status": "attended", "on": today(1)},
    )
    assert dated.status_code == 422 and field_of(dated) == "on"
    declined = await world.post(
        "lm_worker", f"{ONWARD}/{future.json()['id']}/status", {"status": "declined", "on": today()}
    )
    assert declined.status_code == 422 and field_of(declined) == "reason"


async def test_mutual_aid_gives_no_appointment(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    refused = await send(world, person_id, "mutual_aid_na", appointment_on=today(2))
    assert refused.status_code == 422 and field_of(refused) == "appointment_on"


async def test_who_sees_and_who_updates(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    psychology = await send(
        world, person_id, "prison_psychology", user="lm_nurse", route="offender_management_team"
    )
    mutual = await send(world, person_id, "mutual_aid_12_step")
    assert psychology.status_code == 201 and mutual.status_code == 201
    # Only the sending partner records what became of it.
    refused = await world.post(
        "lm_worker",
        f"{ONWARD}/{psychology.json()['id']}/status",
        {"status": "accepted", "on": today()},
    )
    assert refused.status_code == 403
    # Even a partner that may write the category (the nurse, substance use) does not
    # record the outcome of another partner's referral.
    community = await send(world, person_id, "community_treatment")
    other = await world.post(
        "lm_nurse",
        f"{ONWARD}/{community.json()['id']}/status",
        {"status": "accepted", "on": today()},
    )
    assert other.status_code == 403 and "Turning Point Scotland" in other.json()["detail"]
    # Each row carries its service's category: the worker's list omits what it may not read,
    # and a partnership outside never sees any of it.
    worker = await world.get("lm_worker", ONWARD, params={"person_id": person_id})
    nurse = await world.get("lm_nurse", ONWARD, params={"person_id": person_id})
    assert worker.status_code == nurse.status_code == 200
    seen_by = {
        "worker": {r["service"] for r in worker.json()["items"]},
        "nurse": {r["service"] for r in nurse.json()["items"]},
    }
    # Health is the nurse's (the case worker reads it only when assigned, with consent);
    # peer support is the case worker's organisation's.
    assert seen_by == {
        "worker": {"mutual_aid_12_step", "community_treatment"},
        "nurse": {"prison_psychology", "community_treatment"},
    }
    outsider = await world.get("lc_worker", f"{ONWARD}/{mutual.json()['id']}")
    assert outsider.status_code == 404
    other_tenant = await world.get(
        "lc_worker", f"/api/v1/t/leicester/onward-referrals/{mutual.json()['id']}"
    )
    assert other_tenant.status_code == 404
    stranger = await make_person(world, family_name="Stranger")
    assert (await send(world, stranger, "mutual_aid_smart", user="lm_sacro")).status_code in (
        403,
        404,
    )
    rows = await audit_rows(world, person_id=uuid.UUID(person_id))
    assert ("list", "onward_referral") in {(r.action, r.record_type) for r in rows}


async def test_the_record_page_sends_and_updates_a_referral(world: Any) -> None:
    world.client.follow_redirects = False
    person_id, _ = await person_in_treatment(world)
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert "No onward referrals you may see." in page.text
    url = f"{PAGES}/persons/{person_id}/onward-referrals/new"
    form = await world.client.get(url)
    assert form.status_code == 200
    typed = {
        "service": "community_treatment",
        "receiving_service": "Glasgow ADRS North East",
        "sent_on-day": "",
        "sent_on-month": "",
        "sent_on-year": "",
        "_csrf_token": csrf_from(form.text),
    }
    bad = await world.client.post(url, data=typed)
    assert bad.status_code == 400
    assert (
        "Glasgow ADRS North East" in bad.text and "Enter the date the referral was sent" in bad.text
    )
    day = today().split("-")
    good = await world.client.post(
        url,
        data={
            **typed,
            "sent_on-day": day[2],
            "sent_on-month": day[1],
            "sent_on-year": day[0],
            "_csrf_token": csrf_from(bad.text),
        },
    )
    assert good.status_code in (302, 303), good.text
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert "Community treatment on release: Glasgow ADRS North East" in page.text
    assert "/onward-referrals/" in page.text and "/status" in page.text
