"""What partner staff do, in a real browser: the journeys of issue 5."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, screenshot, sign_in


def test_a_case_worker_finds_a_person_logs_an_intervention_and_sees_it(
    page: Any, server: Seeded
) -> None:
    sign_in(page, "lm_worker")
    expect(page.get_by_role("heading", name="Caseload", level=1)).to_be_visible()
    screenshot(page, "caseload")

    # htmx swaps the results in as the worker types: no page load, no button press.
    page.get_by_label("Name or prison number").fill("drumm")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Drummond, Finlay")).to_be_visible()
    expect(results.get_by_text("Baird, Callum")).to_have_count(0)
    assert "q=drumm" in page.url  # the search is in the address, so Back and links work

    results.get_by_role("link", name="Drummond, Finlay").click()
    expect(page.get_by_role("heading", name="Finlay Drummond", level=1)).to_be_visible()
    page.get_by_role("link", name="Log an intervention").click()

    page.get_by_role("button", name="Save intervention").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(summary.get_by_role("link", name="Select the kind of intervention")).to_be_visible()
    screenshot(page, "intervention-form-errors")

    yesterday = date.today() - timedelta(days=1)
    page.get_by_label("Kind of intervention").select_option("motivational_interview")
    page.get_by_label("In prison").check()
    page.get_by_label("Day").fill(str(yesterday.day))
    page.get_by_label("Month").fill(str(yesterday.month))
    page.get_by_label("Year").fill(str(yesterday.year))
    page.get_by_label("Time (optional)").fill("10:30")
    page.get_by_label("Duration in minutes (optional)").fill("40")
    page.get_by_label("Notes (optional)").fill("Agreed to try the recovery café")
    page.get_by_role("button", name="Save intervention").click()

    expect(page.get_by_text("Intervention logged")).to_be_visible()
    timeline = page.locator("ol.app-timeline")
    expect(timeline.get_by_role("heading", name="Motivational interview")).to_be_visible()
    expect(timeline.get_by_text("Agreed to try the recovery café")).to_be_visible()
    expect(timeline.get_by_text(re.compile(r"10:30am .* 40 minutes"))).to_be_visible()
    screenshot(page, "person-record")


def test_the_nurse_sees_health_work_that_a_third_sector_worker_sees_as_withheld(
    browser: Any, server: Seeded
) -> None:
    person = f"/t/low-moss/persons/{server.persons['Healey']}"
    views = {}
    for username in ("lm_nurse", "lm_worker"):
        context = browser.new_context(base_url=server.base_url)
        tab = context.new_page()
        sign_in(tab, username)
        tab.goto(person)
        views[username] = tab
    nurse, worker = views["lm_nurse"], views["lm_worker"]
    expect(
        nurse.locator("ol.app-timeline").get_by_text("Started a reducing regime")
    ).to_be_visible()
    health_row = nurse.locator(".govuk-summary-list__row", has_text="Health")
    expect(health_row).to_contain_text("1 intervention")

    expect(worker.get_by_text("Started a reducing regime")).to_have_count(0)
    withheld = worker.locator("#shared ~ dl .govuk-summary-list__row", has_text="Health")
    expect(withheld).to_contain_text("Not shared with your organisation")
    expect(worker.get_by_text(re.compile("Work in .*Health.* is not shared"))).to_be_visible()
    screenshot(worker, "person-record-withheld")
    for tab in views.values():
        tab.context.close()


def test_the_daily_meeting_is_run_for_three_people(page: Any, server: Seeded) -> None:
    # Chaired by a case worker whose organisation may read these people's case notes.
    sign_in(page, "lm_worker")
    page.get_by_role("link", name="Daily meeting").click()
    expect(page.get_by_role("heading", name="Daily case meeting")).to_be_visible()
    expect(page.get_by_text("3 people to discuss")).to_be_visible()
    screenshot(page, "meeting-agenda")
    page.get_by_role("button", name="Start today's meeting").click()

    cards = page.locator(".govuk-summary-card")
    expect(cards).to_have_count(3)
    outcomes = ["Offered full support", "Brief intervention today", "Refer to the nurse"]
    for index, outcome in enumerate(outcomes):
        card = cards.nth(index)
        card.get_by_label("Outcome").fill(outcome)
        card.get_by_role("button", name=re.compile("^Save outcome")).click()
        # htmx replaced just this card; the others keep their place and content.
        expect(cards.nth(index).get_by_role("status")).to_have_text("Saved")
        card = cards.nth(index)
        card.locator("summary", has_text="Add an action").click()
        card.get_by_label("Action agreed").fill(f"Follow up {index + 1}")
        card.get_by_label("Owner organisation").select_option(label="Turning Point Scotland")
        card.get_by_role("button", name="Add action").click()
        expect(cards.nth(index).get_by_text(f"Follow up {index + 1}")).to_be_visible()

    page.reload()
    for index, outcome in enumerate(outcomes):
        expect(cards.nth(index).get_by_label("Outcome")).to_have_value(outcome)
        expect(cards.nth(index).get_by_text(f"Follow up {index + 1}")).to_be_visible()
    screenshot(page, "meeting")
    page.get_by_role("button", name="Close the meeting").click()
    # Closing asks first, on its own page; only that page's button closes the meeting.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Close")
    page.get_by_role("button", name="Close the meeting").click()
    expect(page.locator(".govuk-caption-l")).to_contain_text("closed")


def test_keyboard_users_can_skip_to_the_content(page: Any, server: Seeded) -> None:
    sign_in(page, "lm_worker")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_warning_comes_before_the_session_ends_and_staying_keeps_it(
    page: Any, server: Seeded
) -> None:
    sign_in(page, "lm_worker")
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()
    assert int(page.locator("body").get_attribute("data-idle-seconds") or 0) > 0
    # The page's own timers, shortened: warn after 1 s, sign out after 4 s.
    page.evaluate("window.throughcareSession.start(4, 3)")
    expect(warning).to_be_visible(timeout=3_000)
    expect(warning).to_be_focused()
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    page.evaluate("window.throughcareSession.start(1, 0)")
    page.wait_for_url("**/sign-in?*expired=1", timeout=5_000)
    expect(page.get_by_text("Your session has ended")).to_be_visible()
