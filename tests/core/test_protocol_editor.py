"""The matrix editor through the pages: the lead changes a cell, sees what it does for
how many people in which organisation, and publishes; nothing else in the protocol moves."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.core.test_web import add_person, csrf_from, sign_in
from tests.core.test_web_protocol import rule_syntax, set_threshold

LM = "/api/v1/t/low-moss"
PAGES = "/t/low-moss"
EDIT = f"{PAGES}/protocol/edit"
HEALTH_READ = "r:case_worker|health|read"


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


def selected(page: str, field_id: str) -> str:
    select = page.split(f'id="{field_id}"')[1].split("</select>")[0]
    match = re.search(r'<option value="([^"]+)" selected>', select)
    assert match, field_id
    return match.group(1)


async def post_edit(world: Any, data: dict[str, str]) -> Any:
    """Post cells as the page for their category would (a cell names its category)."""
    category = next((k.split("|")[1] for k in data if "|" in k), "health")
    page = await world.client.get(EDIT, params={"category": category})
    assert page.status_code == 200, page.text
    form = {"category": category, **data, "_csrf_token": csrf_from(page.text)}
    return await world.client.post(EDIT, data=form)


async def test_the_matrix_is_the_form_with_the_live_settings_chosen(world: Any) -> None:
    await sign_in(world, "lm_lead")
    page = await world.client.get(EDIT, params={"category": "health"})
    assert page.status_code == 200
    assert selected(page.text, "m-r-case-worker-health-read") == "-/assigned"
    assert selected(page.text, "m-k-nhs-health-write") == "partnership/-"
    assert selected(page.text, "m-r-peer-mentor-health-read") == "-/-"
    assert 'id="m-r-case-worker-risk-read"' not in page.text  # one category a page
    notes = await world.client.get(EDIT, params={"category": "case_notes"})
    assert selected(notes.text, "m-r-case-worker-case-notes-read") == (
        "own_organisation/partnership"
    )
    assert f'href="{EDIT}?category=health"' in notes.text
    # Every select is labelled in words: who, what they can do, which information.
    label = page.text.split('for="m-r-case-worker-health-read">')[1].split("</label>")[0]
    assert label == "Case workers (Sacro and Turning Point Scotland): can read Health"
    assert "People their organisation works with; with consent, everyone in the partnership" in (
        notes.text
    )
    assert rule_syntax(notes.text) == []
    assert rule_syntax(page.text) == []


async def test_a_preview_counts_people_per_organisation_and_publishes_nothing(
    world: Any,
) -> None:
    for n in range(3):
        await add_person(world, "Lorna", f"Healey{n}", f"LM20010{n}")
    await sign_in(world, "lm_lead")
    response = await post_edit(world, {HEALTH_READ: "own_organisation/-", "action": "preview"})
    assert response.status_code == 200, response.text
    text = html.unescape(response.text)
    assert (
        "Case workers (Sacro and Turning Point Scotland) can now read Health for people their "
        "organisation works with, instead of people they are assigned to, with consent."
    ) in text
    # Turning Point registered all three, so its two case workers reach all three; Sacro none.
    assert "This change lets 2 users in 1 organisation read Health for 3 people" in text
    reach = text.split("People reached per organisation: Read Health")[1].split("</table>")[0]
    tps = reach.split("Turning Point Scotland</th>")[1].split("</tr>")[0]
    assert re.findall(r">([^<>]+)</td>", tps) == ["2", "0 of 3"]
    assert ">3 of 3 <strong" in tps and "Over 50%" in tps
    # Sacro works with none of them: "their organisation" reaches no one there.
    sacro = reach.split("Sacro</th>")[1].split("</tr>")[0]
    assert re.findall(r">([^<>]+)</td>", sacro) == ["1", "0 of 3", "0 of 3"]
    assert "People reached per organisation: Read Identity" not in text  # unchanged
    assert "waits until another partnership lead approves it" in text  # 3 of 3 > half
    # What each scope means in people, beside the choices: Turning Point works with all 3.
    scopes = text.split('id="scope-reach"')[1].split("</table>")[0]
    tps_scopes = scopes.split("Turning Point Scotland</th>")[1].split("</tr>")[0]
    assert re.findall(r">([^<>]+)</td>", tps_scopes) == ["3", "0 people", "3 people", "3 people"]
    assert selected(response.text, "m-r-case-worker-health-read") == "own_organisation/-"
    assert rule_syntax(response.text) == []
    versions = (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    assert len(versions) == 1


async def test_publishing_from_the_matrix_changes_only_that_cell(world: Any) -> None:
    await set_threshold(world, 1.0)
    person = await add_person(world, "Lorna", "Healey", "LM200201")
    assert "health" in (await world.get("lm_sacro", f"{LM}/persons/{person}")).json()["restricted"]
    await sign_in(world, "lm_lead")
    before = (await world.get("lm_lead", f"{LM}/protocol")).json()["rules"]
    missing = await post_edit(world, {HEALTH_READ: "partnership/-", "action": "publish"})
    assert missing.status_code == 400
    assert 'href="#reason">Enter why you are changing the protocol' in missing.text
    assert selected(missing.text, "m-r-case-worker-health-read") == "partnership/-"
    done = await post_edit(
        world,
        {HEALTH_READ: "partnership/-", "action": "publish", "reason": "Release planning"},
    )
    assert done.status_code in (302, 303), done.text
    assert done.headers["location"] == f"{PAGES}/protocol?published=2"
    after = (await world.get("lm_lead", f"{LM}/protocol")).json()["rules"]
    old_line = "p, r:case_worker, low-moss, health, read, assigned, consent"
    new_line = "p, r:case_worker, low-moss, health, read, partnership, no_consent"
    assert after == before.replace(old_line, new_line)  # in place; comments kept
    assert (
        "health" not in (await world.get("lm_sacro", f"{LM}/persons/{person}")).json()["restricted"]
    )
    unchanged = await post_edit(world, {"action": "publish", "reason": "Nothing"})
    assert unchanged.status_code == 400
    assert "Nothing has changed" in unchanged.text


async def test_the_matrix_refuses_a_bad_choice_and_the_lock_out(world: Any) -> None:
    await sign_in(world, "lm_lead")
    bad = await post_edit(world, {HEALTH_READ: "partnership/assigned", "action": "preview"})
    assert bad.status_code == 400
    assert 'href="#m-r-case-worker-health-read">Choose who Case workers' in bad.text
    locked = await post_edit(
        world,
        {"r:partnership_lead|protocol|manage": "-/-", "action": "publish", "reason": "Tidy"},
    )
    assert locked.status_code == 400
    assert 'href="#matrix">This change would stop you managing the protocol' in locked.text
    assert rule_syntax(locked.text) == []
    # A field for a subject the partnership does not have is not a cell: it changes nothing.
    ignored = await post_edit(world, {"r:astronaut|health|read": "partnership/-"})
    assert ignored.status_code == 200
    assert "No one's access changes" in ignored.text
    assert len((await world.get("lm_lead", f"{LM}/protocol/versions")).json()) == 1
