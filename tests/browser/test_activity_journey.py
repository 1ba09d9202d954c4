"""Writing a long note in a real browser (issue 12): typing renews the session (the page
posts to /session/refresh, debounced), the timeout warning counts down, and the note is
kept as a draft that comes back after a reload or a sign-in, and goes once it is saved."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, sign_in
from tests.conftest import PASSWORD


def test_typing_renews_the_session_and_the_warning_counts_down(page: Any, server: Seeded) -> None:
    sign_in(page, "lm_worker")
    page.goto(f"/t/low-moss/persons/{server.persons['Munro']}/interventions/new")
    page.wait_for_load_state("networkidle")  # an htmx request after this would restart the timers
    warning = page.locator("#session-warning")
    # The page's own timers, shortened: warn after 1 s, end after 20 s; typing may renew at once.
    page.evaluate("window.throughcareSession.start(20, 19)")
    page.evaluate("window.throughcareSession.watchTyping(20, 19, 0)")
    expect(warning).to_be_visible(timeout=3_000)
    expect(page.locator("#session-countdown")).to_have_text(re.compile(r"1\d seconds"))
    first = page.locator("#session-countdown").text_content()
    page.wait_for_timeout(1_100)
    assert page.locator("#session-countdown").text_content() != first  # it counts down
    with page.expect_response("**/session/refresh") as refreshed:
        page.get_by_label("Notes (optional)").press_sequentially("Still writing")
    assert refreshed.value.status == 200
    assert refreshed.value.json()["idle_seconds"] > 20
    # The server's answer restarted the timers with the full idle time: no warning now.
    expect(warning).to_be_hidden()


def test_a_long_note_survives_a_reload_and_a_timeout_and_goes_once_saved(
    page: Any, server: Seeded
) -> None:
    sign_in(page, "lm_worker")
    form = f"/t/low-moss/persons/{server.persons['Reid']}/interventions/new"
    page.goto(form)
    notes = page.get_by_label("Notes (optional)")
    notes.press_sequentially("A long note about the housing plan")
    page.wait_for_timeout(500)  # the draft is saved a moment after typing stops
    page.reload()
    expect(notes).to_have_value("A long note about the housing plan")
    expect(page.get_by_text("Your unsaved draft of this note was restored.")).to_be_visible()

    # The session ends while writing: after signing in again the draft is still there.
    notes.press_sequentially(", and more")
    page.evaluate("window.throughcareSession.start(1, 0)")
    page.wait_for_url("**/sign-in?*expired=1", timeout=5_000)
    page.get_by_label("Username").fill("lm_worker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{form}")
    expect(notes).to_have_value("A long note about the housing plan, and more")

    # A refused post keeps it; a saved one clears it.
    page.get_by_role("button", name="Save intervention").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(notes).to_have_value("A long note about the housing plan, and more")
    yesterday = date.today() - timedelta(days=1)
    page.get_by_label("Kind of intervention").select_option("motivational_interview")
    page.get_by_label("In prison").check()
    page.get_by_label("Day").fill(str(yesterday.day))
    page.get_by_label("Month").fill(str(yesterday.month))
    page.get_by_label("Year").fill(str(yesterday.year))
    page.get_by_role("button", name="Save intervention").click()
    expect(page.get_by_text("Intervention logged")).to_be_visible()
    page.goto(form)
    expect(notes).to_have_value("")
    expect(page.get_by_text("Your unsaved draft of this note was restored.")).to_have_count(0)
