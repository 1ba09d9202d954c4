"""The two-person rule: a widening past the partnership's threshold waits for a second
lead, who approves (and so publishes) or declines it; the one who asked cannot."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.core.protocol_support import add_second_lead, audit_actions, notified
from tests.core.test_web import add_person, csrf_from, sign_in
from tests.core.test_web_protocol import rule_syntax, set_threshold

LM = "/api/v1/t/low-moss"
PAGES = "/t/low-moss"
EDIT = f"{PAGES}/protocol/edit"
WIDEN = {"r:case_worker|health|read": "partnership/-"}


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def post(world: Any, url: str, data: dict[str, str], page_url: str | None = None) -> Any:
    page = await world.client.get(page_url or url)
    assert page.status_code == 200, page.text
    return await world.client.post(url, data={**data, "_csrf_token": csrf_from(page.text)})


async def ask_to_widen(world: Any, reason: str = "Health for everyone at release") -> str:
    """lm_lead widens Health past half the caseload; the approval page's address."""
    await sign_in(world, "lm_lead")
    response = await post(world, EDIT, {**WIDEN, "action": "publish", "reason": reason})
    assert response.status_code in (302, 303), response.text
    location: str = response.headers["location"]
    assert re.fullmatch(rf"{PAGES}/protocol/approvals/[0-9a-f-]{{36}}\?asked=1", location)
    return location.split("?")[0]


async def versions(world: Any) -> int:
    return len((await world.get("lm_lead", f"{LM}/protocol/versions")).json())


async def test_a_widening_past_half_waits_and_a_second_lead_publishes_it(
    world: Any, password_hash: str
) -> None:
    await add_second_lead(world, password_hash)
    person = await add_person(world, "Lorna", "Healey", "LM200301")
    await add_person(world, "Mhairi", "Healey", "LM200311")
    url = await ask_to_widen(world)
    assert await versions(world) == 1  # nothing published yet
    asked = await world.client.get(f"{url}?asked=1")
    assert "Your change waits for a second lead" in asked.text
    widening = html.unescape(asked.text.split('id="widening"')[1].split("</ul>")[0])
    assert "Turning Point Scotland would read Health for 2 of the 2 people in the partnership " in (
        widening
    )
    assert "Sacro would read Health for 2 of the 2 people in the partnership (now 0)" in widening
    assert "another partnership lead must approve or decline it" in asked.text
    assert 'name="decision"' not in asked.text  # no form for the one who asked
    assert rule_syntax(asked.text) == []
    # Their own decision is refused, and the refusal is audited.
    own = await world.client.post(
        url, data={"decision": "approve", "note": "Fine", "_csrf_token": csrf_from(asked.text)}
    )
    assert own.status_code == 403
    assert await versions(world) == 1
    lead2 = world.users["lm_lead2"].id
    assert await notified(world, "protocol_approval") == [lead2]
    sacro = await world.get("lm_sacro", f"{LM}/persons/{person}")
    assert "health" in sacro.json()["restricted"]

    await sign_in(world, "lm_lead2")
    live = await world.client.get(f"{PAGES}/protocol")
    assert "1 change waits for a second lead" in live.text
    waiting = await world.client.get(f"{PAGES}/protocol/approvals")
    assert "Health for everyone at release" in waiting.text
    assert f'href="{url}"' in waiting.text
    empty = await post(world, url, {"decision": "approve", "note": ""})
    assert empty.status_code == 400
    assert 'href="#note">Enter a note for the record' in empty.text
    done = await post(world, url, {"decision": "approve", "note": "Agreed at the board"})
    assert done.status_code in (302, 303), done.text
    assert done.headers["location"] == f"{PAGES}/protocol?published=2"
    assert await versions(world) == 2
    sacro = await world.get("lm_sacro", f"{LM}/persons/{person}")
    assert "health" not in sacro.json()["restricted"]
    assert 'id="waiting"' not in (await world.client.get(f"{PAGES}/protocol")).text
    decided = await world.client.get(url)
    assert "Approved" in decided.text and "published as version 2" in decided.text
    assert 'name="decision"' not in decided.text
    again = await world.client.post(
        url, data={"decision": "approve", "note": "Twice", "_csrf_token": csrf_from(decided.text)}
    )
    assert again.status_code == 400
    assert "already been decided" in again.text
    actions = await audit_actions(world)
    lead1 = world.users["lm_lead"].id
    assert ("protocol_approval_request", lead1) in actions
    assert ("deny", lead1) in actions
    assert ("protocol_approval", lead2) in actions
    assert ("protocol_change", lead2) in actions


async def test_a_second_lead_can_decline_and_nothing_changes(
    world: Any, password_hash: str
) -> None:
    await add_second_lead(world, password_hash)
    await add_person(world, "Lorna", "Healey", "LM200302")
    url = await ask_to_widen(world)
    await sign_in(world, "lm_lead2")
    done = await post(world, url, {"decision": "decline", "note": "Not without consent"})
    assert done.status_code in (302, 303)
    page = await world.client.get(url)
    assert "Declined" in page.text and "Not without consent" in page.text
    assert await versions(world) == 1
    waiting = await world.client.get(f"{PAGES}/protocol/approvals")
    assert "No change is waiting" in waiting.text
    assert ("protocol_approval_declined", world.users["lm_lead2"].id) in await audit_actions(world)


async def test_a_change_asked_for_an_older_version_cannot_be_approved(
    world: Any, password_hash: str
) -> None:
    await add_second_lead(world, password_hash)
    await add_person(world, "Lorna", "Healey", "LM200303")
    url = await ask_to_widen(world)
    # Meanwhile lm_lead narrows something, which needs no second lead.
    narrowed = await post(
        world,
        EDIT,
        {"r:nhs_nurse|identity|read": "-/-", "action": "publish", "reason": "Tidy up"},
    )
    assert narrowed.status_code in (302, 303), narrowed.text
    assert await versions(world) == 2
    await sign_in(world, "lm_lead2")
    page = await world.client.get(url)
    assert "can no longer be approved as it stands" in page.text
    stale = await post(world, url, {"decision": "approve", "note": "Looks right"})
    assert stale.status_code == 400
    assert "The protocol has changed since this was asked for" in stale.text
    assert await versions(world) == 2


async def test_the_threshold_comes_from_the_partnership(world: Any) -> None:
    await add_person(world, "Lorna", "Healey", "LM200304")
    await set_threshold(world, 1.0)  # only a change reaching more than everyone: never
    await sign_in(world, "lm_lead")
    preview = await post(world, EDIT, {**WIDEN, "action": "preview"})
    assert "waits until another partnership lead approves it" not in preview.text
    done = await post(world, EDIT, {**WIDEN, "action": "publish", "reason": "Agreed"})
    assert done.headers["location"] == f"{PAGES}/protocol?published=2"


async def test_approvals_stay_inside_the_partnership(world: Any, password_hash: str) -> None:
    await add_second_lead(world, password_hash)
    await add_person(world, "Lorna", "Healey", "LM200305")
    url = await ask_to_widen(world)
    await sign_in(world, "lc_worker")
    assert (await world.client.get(url)).status_code == 404
    await sign_in(world, "lm_worker")
    assert (await world.client.get(url)).status_code == 403
    await sign_in(world, "lm_lead2")
    other = url.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert (await world.client.get(other)).status_code == 404
