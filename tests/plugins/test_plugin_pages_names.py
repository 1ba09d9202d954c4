"""Names wherever a person is meant (issue 12): the mentoring schedule and family days name
the person (where the viewer may read identity) and the mentor; the record shows the key
worker once, not with the organisation twice; and search takes a name as the list prints it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from core.clock import today as local_today
from tests.plugins.test_family_support import FS, give_consent
from tests.plugins.test_peer_mentoring import (
    PM,
    audit_rows,
    make_mentor,
    make_person,
)

LM = "/api/v1/t/low-moss"


async def test_the_schedule_names_the_person_and_the_mentor(world: Any) -> None:
    family = f"Demobridge{uuid.uuid4().hex[:4]}"
    person = await make_person(world, given_name="Gemma", family_name=family)
    mentor = await make_mentor(world, name="Fiona Mentorname")
    await world.post("lm_worker", f"{PM}/matches", {"person_id": person, "mentor_id": mentor})
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    planned = await world.post(
        "lm_worker",
        f"{PM}/persons/{person}/sessions",
        {"starts_at": soon, "status": "planned", "setting": "prison", "mentor_id": mentor},
    )
    assert planned.status_code == 201, planned.text
    page = await world.get("lm_worker", "/t/low-moss/peer-mentoring/schedule")
    assert page.status_code == 200, page.text
    assert f"{family}, Gemma" in page.text and "Fiona Mentorname" in page.text
    assert "View record" not in page.text and ">Assigned<" not in page.text
    # Naming them read their identity: audited as a list, like the caseload's.
    listed = await audit_rows(world, action="list", record_type="person")
    assert any(
        (e.detail or {}).get("via") == "peer_mentoring_schedule"
        and person in (e.detail or {}).get("person_ids", [])
        for e in listed
    )


async def test_family_days_name_the_person(world: Any) -> None:
    today = local_today()
    family = f"Familyday{uuid.uuid4().hex[:4]}"
    person = await make_person(
        world,
        given_name="Rhona",
        family_name=family,
        liberation_date=(today + timedelta(days=20)).isoformat(),
    )
    await give_consent(world, person)
    planned = await world.post(
        "lm_worker",
        f"{FS}/family-days",
        {"person_id": person, "planned_on": (today + timedelta(days=5)).isoformat()},
    )
    assert planned.status_code == 201, planned.text
    page = await world.get("lm_worker", "/t/low-moss/family-support/family-days")
    assert page.status_code == 200, page.text
    table = page.text[page.text.index("<table") : page.text.index("</table>")]
    assert f"{family}, Rhona" in table and "View record" not in table


async def test_the_key_worker_shows_their_organisation_once(world: Any) -> None:
    person = await make_person(world)
    referral = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": person, "source": "self"}
    )
    assert referral.status_code == 201, referral.text
    moved = await world.patch(
        "lm_lead",
        f"{LM}/episodes/{referral.json()['episode_id']}",
        {"key_worker_id": str(world.users["lm_worker"].id)},
    )
    assert moved.status_code == 200, moved.text
    page = await world.get("lm_worker", f"/t/low-moss/persons/{person}")
    assert page.status_code == 200, page.text
    name = world.users["lm_worker"].display_name
    row = page.text[page.text.index(">Key worker<") :]
    row = row[: row.index("</dd>")]
    # The organisation once, whether or not the display name already carries it.
    assert name in row and row.count("Turning Point Scotland") == 1, row
    assert "Lead organisation" in page.text


async def test_search_takes_the_name_as_printed_and_as_said(world: Any) -> None:
    family = f"Demobridge{uuid.uuid4().hex[:4]}"
    person = await make_person(world, given_name="Gemma", family_name=family)
    other = await make_person(world, given_name="Gemma", family_name="Elsewhere")
    number = (await world.get("lm_worker", f"{LM}/persons/{person}")).json().get("prison_number")
    for q in (f"{family}, Gemma", f"{family},Gemma", f"Gemma {family}", f"  gemma   {family} "):
        api = await world.get("lm_worker", f"{LM}/persons", params={"q": q})
        assert api.status_code == 200, api.text
        found = {p["id"] for p in api.json()["items"]}
        assert person in found and other not in found, q
        page = await world.get("lm_worker", "/t/low-moss/caseload", params={"q": q})
        assert f"/persons/{person}" in page.text and f"/persons/{other}" not in page.text, q
    if number:
        api = await world.get("lm_worker", f"{LM}/persons", params={"q": number.lower()})
        assert person in {p["id"] for p in api.json()["items"]}


async def test_a_naloxone_kit_recorded_from_the_pages_reaches_the_list(world: Any) -> None:
    from tests.core.test_web import csrf_from, sign_in
    from tests.plugins.test_harm_reduction import make_person as make_hr_person

    world.client.follow_redirects = False
    person = await make_hr_person(world, liberation_date=local_today().isoformat())
    await sign_in(world, "lm_nurse")
    risk = await world.client.get("/t/low-moss/harm-reduction/overdose-risk")
    row = risk.text[risk.text.index(f"/persons/{person}") :]
    assert "No kit" in row[: row.index("</tr>")]
    record = await world.client.get(f"/t/low-moss/persons/{person}")
    form_url = f"/t/low-moss/harm-reduction/persons/{person}/naloxone"
    assert form_url in record.text
    form = await world.client.get(form_url)
    assert form.status_code == 200, form.text
    today = local_today()
    fields = {
        "_csrf_token": csrf_from(form.text),
        "supplied_at-day": str(today.day),
        "supplied_at-month": str(today.month),
        "supplied_at-year": str(today.year),
        "kit_type": "nasal",
    }
    missing = await world.client.post(form_url, data=fields)
    assert missing.status_code == 400
    assert 'href="#supply">Select whether this is their first kit or a repeat' in missing.text
    saved = await world.client.post(form_url, data={**fields, "supply": "first"})
    assert saved.status_code in (302, 303), saved.text
    again = await world.client.post(form_url, data={**fields, "supply": "first"})
    assert again.status_code == 400 and "record this as a repeat supply" in again.text
    risk = await world.client.get("/t/low-moss/harm-reduction/overdose-risk")
    row = risk.text[risk.text.index(f"/persons/{person}") :]
    assert "Kit supplied" in row[: row.index("</tr>")]
    record = await world.client.get(f"/t/low-moss/persons/{person}")
    panel = record.text[record.text.index("Naloxone kits supplied") :]
    assert panel[: panel.index("</dd>")].rstrip().endswith(">1")


async def test_housing_need_and_local_authority_are_set_from_the_pages(world: Any) -> None:
    from tests.core.test_web import csrf_from
    from tests.plugins.housing_support import OFFICER, add_officer
    from tests.plugins.housing_support import make_person as make_housed

    world.client.follow_redirects = False
    await add_officer(world)
    person = await make_housed(world, None, family_name="Needshome")
    url = f"/t/low-moss/housing/persons/{person}/details"
    record = await world.get(OFFICER, f"/t/low-moss/persons/{person}")
    assert url in record.text
    form = await world.get(OFFICER, url)
    assert form.status_code == 200, form.text
    token = csrf_from(form.text)
    glasgow = world.org_id("low-moss", "glasgow-city-council")
    not_an_authority = world.org_id("low-moss", "turning-point-scotland")
    headers = world.auth(OFFICER)
    refused = await world.client.post(
        url,
        data={"_csrf_token": token, "local_authority_id": not_an_authority, "needs": "x"},
        headers=headers,
    )
    assert refused.status_code == 400, refused.text
    assert "govuk-error-summary" in refused.text and "Traceback" not in refused.text
    opened = await world.client.post(
        url,
        data={"_csrf_token": token, "local_authority_id": glasgow, "needs": "Ground floor flat"},
        headers=headers,
    )
    assert opened.status_code in (302, 303), opened.text
    api = await world.get(OFFICER, f"/api/v1/t/low-moss/housing/persons/{person}")
    assert api.json()["local_authority_id"] == glasgow
    assert api.json()["needs"] == "Ground floor flat"
    changed = await world.client.post(
        url,
        data={"_csrf_token": token, "local_authority_id": glasgow, "needs": "Two rooms"},
        headers=headers,
    )
    assert changed.status_code in (302, 303), changed.text
    api = await world.get(OFFICER, f"/api/v1/t/low-moss/housing/persons/{person}")
    assert api.json()["needs"] == "Two rooms"
    # Someone who may not change housing gets no form.
    nurse = await world.get("lm_nurse", url)
    assert nurse.status_code in (403, 404)
