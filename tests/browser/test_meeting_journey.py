"""A meeting keeps its thread in the browser: an earlier action is marked done on the card,
a refused action keeps what was typed, and closing first names who has no outcome."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, api, axe_violations, screenshot, sign_in

LM = "/api/v1/t/low-moss"


def test_a_meeting_follows_up_earlier_actions_keeps_typing_and_warns_on_close(
    page: Any, server: Seeded
) -> None:
    token = server.tokens["lm_worker"]
    today = datetime.now(UTC).date()
    # Drummond is not on the daily agenda, so this journey does not depend on the others:
    # an action about him left open at a complex-case meeting a week ago, and a new one today.
    earlier = api(
        server.base_url,
        token,
        "POST",
        f"{LM}/meetings",
        {"kind": "complex_case", "held_on": (today - timedelta(days=7)).isoformat()},
    )
    first = api(
        server.base_url,
        token,
        "POST",
        f"{LM}/meetings/{earlier['id']}/items",
        {"person_id": server.persons["Drummond"]},
    )
    api(
        server.base_url,
        token,
        "POST",
        f"{LM}/meetings/{earlier['id']}/actions",
        {
            "description": "Register with a GP",
            "owner_organisation_id": server.organisations["turning-point-scotland"],
            "item_id": first["id"],
        },
    )
    meeting = api(
        server.base_url,
        token,
        "POST",
        f"{LM}/meetings",
        {"kind": "complex_case", "title": "Drummond"},
    )
    api(
        server.base_url,
        token,
        "POST",
        f"{LM}/meetings/{meeting['id']}/items",
        {"person_id": server.persons["Drummond"]},
    )

    sign_in(page, "lm_worker")
    page.goto(f"/t/low-moss/meetings/{meeting['id']}")
    card = page.locator(".govuk-summary-card")
    expect(card.get_by_text("Open actions from earlier meetings")).to_be_visible()
    card.get_by_role("button", name=re.compile(r"Mark done\W+Register with a GP")).click()
    expect(card).to_be_visible()
    expect(card.get_by_text("Register with a GP")).to_have_count(0)

    # An action without an owner is refused; what was typed in both forms stays.
    card.get_by_label("Discussion").fill("Wants to move nearer his sister")
    card.locator("summary", has_text="Add an action").click()
    card.get_by_label("Action agreed").fill("Ask housing about Paisley")
    card.get_by_role("button", name="Add action").click()
    expect(card.locator(".govuk-error-summary")).to_contain_text("Select who owns the action")
    expect(card.get_by_label("Discussion")).to_have_value("Wants to move nearer his sister")
    expect(card.get_by_label("Action agreed")).to_have_value("Ask housing about Paisley")
    violations = axe_violations(page)
    assert violations == [], violations

    page.get_by_role("button", name="Close the meeting").click()
    expect(page.get_by_text("1 of 1 person has no outcome recorded")).to_be_visible()
    expect(page.locator(".app-unrecorded")).to_contain_text("Finlay Drummond")
    screenshot(page, "meeting-close-confirm")
    violations = axe_violations(page)
    assert violations == [], violations
    page.get_by_role("button", name="Close the meeting").click()
    expect(page.locator(".govuk-caption-l")).to_contain_text("closed")


def test_the_nights_referrals_go_in_on_one_form(page: Any, server: Seeded) -> None:
    token = server.tokens["lm_worker"]
    # Two people new to this journey, referred three days ago: before any agenda's window,
    # so the other journeys' agendas are not changed by this one.
    people = []
    for given, family, number in (
        ("Ross", "Nightly", "LM100291"),
        ("Kay", "Batchelor", "LM100292"),
    ):
        person = api(
            server.base_url,
            token,
            "POST",
            f"{LM}/persons",
            {
                "given_name": given,
                "family_name": family,
                "date_of_birth": "1988-08-08",
                "prison_number": number,
            },
        )
        people.append(person["id"])
    received = datetime.now(UTC).date() - timedelta(days=3)

    sign_in(page, "lm_worker")
    page.get_by_role("link", name="Daily meeting").click()
    page.locator("a[href='/t/low-moss/meeting/referrals']").first.click()
    expect(page.get_by_role("heading", name="Add the night's referrals", level=1)).to_be_visible()
    page.get_by_label("Day").fill(str(received.day))
    page.get_by_label("Month").fill(str(received.month))
    page.get_by_label("Year").fill(str(received.year))
    first, second = page.locator("#referral-1"), page.locator("#referral-2")
    first.get_by_label("Name").fill("Ross Nightly")
    first.get_by_label("Prison number").fill("LM100291")
    first.get_by_label("Reason (optional)").fill("Night report: found distressed")
    second.get_by_label("Name").fill("Kay Smith")  # the wrong name for this number
    second.get_by_label("Prison number").fill("LM100292")
    second.get_by_label("Where did the referral come from?").select_option("healthcare")
    page.get_by_role("button", name="Save referrals").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Referral 2: prison number LM100292 is Kay Batchelor")
    # Everything typed is kept, the good row too; nothing was saved.
    expect(first.get_by_label("Reason (optional)")).to_have_value("Night report: found distressed")
    expect(second.get_by_label("Where did the referral come from?")).to_have_value("healthcare")
    expect(page.get_by_label("Day")).to_have_value(str(received.day))
    violations = axe_violations(page)
    assert violations == [], violations
    screenshot(page, "referral-batch-errors")

    second.get_by_label("Name").fill("Batchelor, Kay")
    page.get_by_role("button", name="Save referrals").click()
    expect(page.get_by_text("2 referrals saved")).to_be_visible()
    expect(page.locator("#name-1")).to_have_value("")  # a fresh form for the next batch
    made = [api(server.base_url, token, "GET", f"{LM}/referrals?person_id={p}") for p in people]
    assert [(m["items"][0]["source"], m["items"][0]["received_at"][:10]) for m in made] == [
        ("staff_concern", received.isoformat()),
        ("healthcare", received.isoformat()),
    ]
    violations = axe_violations(page)
    assert violations == [], violations
