"""The daily meeting's pages keep their thread: nothing typed is lost, actions get done,
escalations are linked, and closing says who has no outcome."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest

from tests.core.test_meetings import audit_rows
from tests.core.test_web import LM, PAGES, add_person, csrf_from, sign_in

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def refer(world: Any, person_id: str) -> None:
    response = await world.post(
        "lm_officer", f"{LM}/referrals", {"person_id": person_id, "source": "staff_concern"}
    )
    assert response.status_code == 201, response.text


async def start_meeting(world: Any) -> tuple[str, str]:
    """Sign the chair in and start today's meeting; its URL and a CSRF token."""
    await sign_in(world, "lm_worker")
    agenda = await world.client.get(f"{PAGES}/meeting")
    started = await world.client.post(
        f"{PAGES}/meeting", data={"_csrf_token": csrf_from(agenda.text)}
    )
    assert started.status_code in (302, 303), started.text
    url = started.headers["location"]
    page = await world.client.get(url)
    return url, csrf_from(page.text)


def item_ids(page: str) -> list[str]:
    return re.findall(r'class="govuk-summary-card" id="item-([0-9a-f-]{36})"', page)


def textarea(card: str, item_id: str, name: str) -> str:
    found = re.search(rf'id="item-{item_id}-{name}"[^>]*>(.*?)</textarea>', card, re.S)
    assert found, f"no {name} textarea"
    return html.unescape(found.group(1))


async def item_detail(world: Any, meeting_url: str, item_id: str) -> dict[str, Any]:
    meeting_id = meeting_url.rsplit("/", 1)[1]
    body = (await world.get("lm_worker", f"{LM}/meetings/{meeting_id}")).json()
    return next(i for i in body["items"] if i["id"] == item_id)


async def earlier_meeting_with_action(world: Any, person_id: str, what: str) -> tuple[str, str]:
    """Yesterday's meeting, with an action about the person still open."""
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    meeting = await world.post("lm_worker", f"{LM}/meetings", {"held_on": yesterday})
    assert meeting.status_code == 201, meeting.text
    meeting_id = meeting.json()["id"]
    item = await world.post(
        "lm_worker", f"{LM}/meetings/{meeting_id}/items", {"person_id": person_id}
    )
    assert item.status_code == 201, item.text
    action = await world.post(
        "lm_worker",
        f"{LM}/meetings/{meeting_id}/actions",
        {
            "description": what,
            "owner_organisation_id": world.org_id("low-moss", "turning-point-scotland"),
            "item_id": item.json()["id"],
        },
    )
    assert action.status_code == 201, action.text
    return meeting_id, action.json()["id"]


async def test_a_refused_action_keeps_discussion_outcome_and_what_was_typed(world: Any) -> None:
    await refer(world, await add_person(world, "Keep", "Typed", "M200001"))
    url, token = await start_meeting(world)
    (item_id,) = item_ids((await world.client.get(url)).text)
    saved = await world.client.post(
        f"{url}/items/{item_id}",
        data={"discussion": "Talked at length", "outcome": "Housing first", "_csrf_token": token},
    )
    assert saved.status_code in (302, 303)

    # With JavaScript: the card comes back with the saved notes, the typed action and the
    # error summary; unsaved Discussion text sent along with the action form is kept too.
    card = await world.client.post(
        f"{url}/items/{item_id}/actions",
        data={
            "description": "Phone the council",
            "owner_organisation_id": "",
            "discussion": "Talked at length, then more",
            "_csrf_token": token,
        },
        headers=HX,
    )
    assert card.status_code == 200
    assert "govuk-error-summary" in card.text
    assert f'href="#item-{item_id}-owner_organisation_id">Select who owns the action' in card.text
    assert textarea(card.text, item_id, "discussion") == "Talked at length, then more"
    assert textarea(card.text, item_id, "outcome") == "Housing first"
    assert 'value="Phone the council"' in card.text

    # Without JavaScript: the whole page, the same values.
    page = await world.client.post(
        f"{url}/items/{item_id}/actions",
        data={"description": "Phone the council", "_csrf_token": token},
    )
    assert page.status_code == 400
    assert textarea(page.text, item_id, "discussion") == "Talked at length"
    assert textarea(page.text, item_id, "outcome") == "Housing first"
    assert 'value="Phone the council"' in page.text

    # A submit that leaves a field out never blanks what was saved in it.
    await world.client.post(
        f"{url}/items/{item_id}", data={"outcome": "Housing first, then work", "_csrf_token": token}
    )
    detail = await item_detail(world, url, item_id)
    assert detail["discussion"] == "Talked at length"
    assert detail["outcome"] == "Housing first, then work"


async def test_a_refused_outcome_keeps_everything_typed(world: Any) -> None:
    await refer(world, await add_person(world, "Long", "Outcome", "M200002"))
    url, token = await start_meeting(world)
    (item_id,) = item_ids((await world.client.get(url)).text)
    card = await world.client.post(
        f"{url}/items/{item_id}",
        data={"discussion": "Worth keeping", "outcome": "x" * 10_001, "_csrf_token": token},
        headers=HX,
    )
    assert "govuk-error-summary" in card.text and "Outcome is too long" in card.text
    assert textarea(card.text, item_id, "discussion") == "Worth keeping"
    assert textarea(card.text, item_id, "outcome") == "x" * 10_001
    assert (await item_detail(world, url, item_id))["discussion"] is None


async def test_an_earlier_open_action_is_marked_done_from_the_agenda(world: Any) -> None:
    person_id = await add_person(world, "Open", "Action", "M200003")
    earlier_id, action_id = await earlier_meeting_with_action(world, person_id, "Find a GP")
    await sign_in(world, "lm_worker")
    agenda = await world.client.get(f"{PAGES}/meeting")
    assert "Find a GP" in agenda.text
    done_url = f"{PAGES}/meetings/{earlier_id}/actions/{action_id}/done"
    assert f'action="{done_url}"' in agenda.text
    done = await world.client.post(
        done_url, data={"return_to": "agenda", "_csrf_token": csrf_from(agenda.text)}
    )
    assert done.status_code in (302, 303)
    assert done.headers["location"] == f"{PAGES}/meeting"
    agenda = await world.client.get(f"{PAGES}/meeting")
    assert "Find a GP" not in agenda.text
    assert "Nobody is on today's agenda yet" in agenda.text
    updates = await audit_rows(world, action="update", record_type="meeting_action")
    assert [str(e.record_id) for e in updates] == [action_id]
    assert str(updates[0].person_id) == person_id
    # Without the CSRF token nothing is marked.
    refused = await world.client.post(done_url, data={"return_to": "agenda"})
    assert refused.status_code == 403


async def test_an_earlier_open_action_is_marked_done_from_the_persons_card(world: Any) -> None:
    person_id = await add_person(world, "Card", "Action", "M200004")
    earlier_id, action_id = await earlier_meeting_with_action(world, person_id, "Book a dentist")
    url, token = await start_meeting(world)
    page = await world.client.get(url)
    (item_id,) = item_ids(page.text)
    card = page.text[page.text.index(f'id="item-{item_id}"') :]
    assert "Open actions from earlier meetings" in card and "Book a dentist" in card
    done_url = f"{PAGES}/meetings/{earlier_id}/actions/{action_id}/done"
    assert f'action="{done_url}"' in card
    done = await world.client.post(
        done_url,
        data={
            "return_meeting": url.rsplit("/", 1)[1],
            "return_item": item_id,
            "_csrf_token": token,
        },
    )
    assert done.headers["location"] == f"{url}#item-{item_id}"
    page = await world.client.get(url)
    assert "Open actions from earlier meetings" not in page.text
    earlier = (await world.get("lm_worker", f"{LM}/meetings/{earlier_id}")).json()
    assert earlier["actions"][0]["completed_at"] is not None
    # The action agreed today gets its own Mark done, and a return that is not a meeting
    # of this partnership's pages goes to the agenda, never elsewhere.
    org_id = world.org_id("low-moss", "turning-point-scotland")
    await world.client.post(
        f"{url}/items/{item_id}/actions",
        data={
            "description": "Call tomorrow",
            "owner_organisation_id": org_id,
            "_csrf_token": token,
        },
    )
    page = await world.client.get(url)
    today_action = re.search(r"/actions/([0-9a-f-]{36})/done", page.text).group(1)
    done = await world.client.post(
        f"{url}/actions/{today_action}/done",
        data={"return_meeting": "https://evil.example/", "_csrf_token": token},
    )
    assert done.headers["location"] == f"{PAGES}/meeting"
    page = await world.client.get(url)
    assert "/done" not in page.text and ">Done</strong>" in page.text


async def test_the_meeting_page_links_the_complex_case_meetings_it_escalated(world: Any) -> None:
    await refer(world, await add_person(world, "Complex", "Case", "M200005"))
    url, token = await start_meeting(world)
    (item_id,) = item_ids((await world.client.get(url)).text)
    assert "Complex case meetings escalated" not in (await world.client.get(url)).text
    await world.client.post(
        f"{url}/items/{item_id}/escalate",
        data={"reason": "Needs every agency", "confirm": "yes", "_csrf_token": token},
    )
    listed = await world.get("lm_worker", f"{LM}/meetings?kind=complex_case")
    (complex_case,) = listed.json()["items"]
    page = await world.client.get(url)
    section = page.text[page.text.index('id="escalations"') :]
    assert f'href="{PAGES}/meetings/{complex_case["id"]}"' in section
    assert "Complex Case" in section
    # And the complex-case meeting links back.
    there = await world.client.get(f"{PAGES}/meetings/{complex_case['id']}")
    assert f'href="{url}"' in there.text


async def test_closing_names_the_people_with_no_outcome_first(world: Any) -> None:
    for n, family in enumerate(["Alpha", "Beta", "Gamma"]):
        await refer(world, await add_person(world, "Close", family, f"M20001{n}"))
    url, token = await start_meeting(world)
    page = await world.client.get(url)
    assert f'href="{url}/close"' in page.text
    first = item_ids(page.text)[0]  # the agenda is sorted by name
    await world.client.post(
        f"{url}/items/{first}", data={"outcome": "Seen by the nurse", "_csrf_token": token}
    )
    # A close posted without the confirmation goes to the confirmation page.
    direct = await world.client.post(f"{url}/close", data={"_csrf_token": token})
    assert direct.headers["location"] == f"{url}/close"
    meeting_id = url.rsplit("/", 1)[1]
    assert (await world.get("lm_worker", f"{LM}/meetings/{meeting_id}")).json()["closed_at"] is None

    confirm = await world.client.get(f"{url}/close")
    assert confirm.status_code == 200
    assert "2 of 3 people have no outcome recorded" in confirm.text
    named = confirm.text[confirm.text.index("app-unrecorded") :].split("</ul>")[0]
    assert "Close Beta" in named and "Close Gamma" in named
    assert "Close Alpha" not in named
    closed = await world.client.post(
        f"{url}/close", data={"confirm": "yes", "_csrf_token": csrf_from(confirm.text)}
    )
    assert closed.headers["location"] == url
    detail = (await world.get("lm_worker", f"{LM}/meetings/{meeting_id}")).json()
    assert detail["closed_at"] is not None
    # A closed meeting's close page goes back to the meeting.
    assert (await world.client.get(f"{url}/close")).headers["location"] == url


async def test_writing_on_a_card_one_may_not_see_is_not_found_and_writes_nothing(
    world: Any,
) -> None:
    # The nurse's organisation does not work with this person: no card, no write, no 500.
    await refer(world, await add_person(world, "Not", "Shared", "M200020"))
    url, _ = await start_meeting(world)
    (item_id,) = item_ids((await world.client.get(url)).text)
    world.client.cookies.clear()
    await sign_in(world, "lm_nurse")
    page = await world.client.get(url)
    assert item_ids(page.text) == [] and "not shared with your organisation" in page.text
    refused = await world.client.post(
        f"{url}/items/{item_id}",
        data={"outcome": "Not mine to write", "_csrf_token": csrf_from(page.text)},
        headers=HX,
    )
    assert refused.status_code == 404
    assert "Traceback" not in refused.text
    assert (await item_detail(world, url, item_id))["outcome"] is None


async def test_a_refused_mark_done_is_a_plain_message_beside_the_action(world: Any) -> None:
    from tests.core.test_meetings_owners import share_case_notes_with

    person_id = await add_person(world, "Refused", "Done", "M200030")
    earlier_id, action_id = await earlier_meeting_with_action(world, person_id, "Find a dentist")
    # Sacro reads the person's case notes by consent, but may not write them.
    await share_case_notes_with(world, person_id, "sacro")
    await sign_in(world, "lm_sacro")
    agenda = await world.client.get(f"{PAGES}/meeting")
    done_url = f"{PAGES}/meetings/{earlier_id}/actions/{action_id}/done"
    assert "Find a dentist" in agenda.text
    assert f'action="{done_url}"' not in agenda.text  # not offered where it would be refused
    # Sent all the same (a page left open while the protocol changed): the agenda again,
    # with the refusal in plain words beside the action, and the action still open.
    refused = await world.client.post(
        done_url, data={"return_to": "agenda", "_csrf_token": csrf_from(agenda.text)}
    )
    assert refused.status_code == 403
    beside = refused.text[refused.text.index("Find a dentist") :].split("</li>")[0]
    assert "app-refused" in beside
    assert (
        "You cannot mark this action done: the sharing protocol does not let your "
        "organisation update this person&#39;s case notes." in beside
    )
    assert not re.search(r"\b[rku]:[a-z_]", refused.text) and "rule" not in refused.text.lower()
    earlier = (await world.get("lm_worker", f"{LM}/meetings/{earlier_id}")).json()
    assert earlier["actions"][0]["completed_at"] is None


async def test_escalating_asks_why_on_its_own_page_first(world: Any) -> None:
    await refer(world, await add_person(world, "Why", "Escalate", "M200031"))
    url, token = await start_meeting(world)
    (item_id,) = item_ids((await world.client.get(url)).text)
    escalate = f"{url}/items/{item_id}/escalate"
    page = await world.client.get(url)
    assert f'href="{escalate}"' in page.text  # a link to the confirmation, not a button
    confirm = await world.client.get(escalate)
    assert confirm.status_code == 200
    assert "Why is the case being escalated?" in confirm.text
    # A post that skips the confirmation goes to it; one without a reason is refused there,
    # keeping the date typed. Neither makes a meeting.
    direct = await world.client.post(escalate, data={"reason": "Quick", "_csrf_token": token})
    assert direct.headers["location"] == escalate
    blank = await world.client.post(
        escalate,
        data={"confirm": "yes", "reason": "  ", "held_on-day": "9", "_csrf_token": token},
    )
    assert blank.status_code == 400
    assert "Enter why the case is being escalated" in blank.text
    # Both problems at once, in the order of the page.
    listed_errors = blank.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    assert listed_errors.index("Enter why") < listed_errors.index("must be a real date")
    assert 'name="held_on-day" type="text" inputmode="numeric" value="9"' in blank.text
    listed = await world.get("lm_worker", f"{LM}/meetings?kind=complex_case")
    assert listed.json()["items"] == []

    done = await world.client.post(
        escalate,
        data={"confirm": "yes", "reason": "Threats on the hall", "_csrf_token": token},
    )
    assert done.headers["location"] == f"{url}#item-{item_id}"
    (complex_case,) = (await world.get("lm_worker", f"{LM}/meetings?kind=complex_case")).json()[
        "items"
    ]
    assert complex_case["escalation_reason"] == "Threats on the hall"
    there = await world.client.get(f"{PAGES}/meetings/{complex_case['id']}")
    assert "Why this case was escalated" in there.text and "Threats on the hall" in there.text
    # Once escalated, the confirmation is not offered again.
    again = await world.client.get(escalate)
    assert again.headers["location"] == f"{url}#item-{item_id}"
