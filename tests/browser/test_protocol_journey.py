"""Break-glass pages in the browser: the request and the review, axe clean."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, axe_violations, screenshot, sign_in

LM = "/api/v1/t/low-moss"


def check_page(tab: Any, name: str) -> None:
    tab.wait_for_load_state("networkidle")
    screenshot(tab, name)
    violations = axe_violations(tab)
    assert violations == [], f"{name}: {violations}"


# The lead's journey through the protocol editor (matrix, preview, publish, the other
# partner seeing it, the two-person rule) is tests/browser/test_protocol_editor_journey.py.


def test_break_glass_request_and_review_pages_are_accessible(
    page: Any, browser: Any, server: Seeded
) -> None:
    person_id = server.persons["Munro"]
    sacro_context = browser.new_context(base_url=server.base_url)
    sacro = sacro_context.new_page()
    try:
        sign_in(sacro, "lm_sacro")
        sacro.goto(f"/t/low-moss/persons/{person_id}/break-glass")
        expect(sacro.get_by_text("recorded in the audit log")).to_be_visible()
        check_page(sacro, "break-glass-request")
        sacro.get_by_label("Risk").check()
        sacro.get_by_label("Why do you need it now?").fill("Threatened self-harm on the wing")
        sacro.get_by_label("For how long?").select_option("30")
        sacro.get_by_role("button", name="Open emergency access").click()
        expect(sacro.locator(".govuk-notification-banner--success")).to_contain_text(
            "You can read Risk for this person until"
        )
    finally:
        sacro_context.close()

    sign_in(page, "lm_lead")
    page.get_by_role("link", name="Break-glass reviews").first.click()
    card = page.locator(".govuk-summary-card", has_text="Threatened self-harm on the wing")
    expect(card).to_contain_text("Active")
    check_page(page, "break-glass-queue")
    card.get_by_role("button", name=re.compile("Mark reviewed")).click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check_page(page, "break-glass-queue-errors")
    card = page.locator(".govuk-summary-card", has_text="Threatened self-harm on the wing")
    card.get_by_label("Review note").fill("Justified: safety plan agreed")
    card.get_by_role("button", name=re.compile("Mark reviewed")).click()
    expect(page.get_by_text("Break-glass access marked as reviewed")).to_be_visible()
