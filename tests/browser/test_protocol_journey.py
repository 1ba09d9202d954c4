"""The partnership lead changes the protocol in the browser, and another partner sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Seeded, api, axe_violations, screenshot, sign_in

LM = "/api/v1/t/low-moss"
NEW_RULE = "p, r:case_worker, low-moss, health, read, partnership, no_consent"


@pytest.fixture
def restored_protocol(server: Seeded) -> Iterator[str]:
    """The live rules; published again afterwards so the other journeys see the template."""
    token = server.tokens["lm_lead"]
    rules: str = api(server.base_url, token, "GET", f"{LM}/protocol")["rules"]
    yield rules
    live = api(server.base_url, token, "GET", f"{LM}/protocol")["rules"]
    if live != rules:
        api(
            server.base_url,
            token,
            "POST",
            f"{LM}/protocol",
            {"rules": rules, "reason": "Back to the template after the browser journey"},
        )


def health_row(tab: Any) -> Any:
    return tab.locator("#shared ~ dl .govuk-summary-list__row", has_text="Health")


def check_page(tab: Any, name: str) -> None:
    tab.wait_for_load_state("networkidle")
    screenshot(tab, name)
    violations = axe_violations(tab)
    assert violations == [], f"{name}: {violations}"


def test_the_lead_shares_health_and_a_sacro_worker_then_sees_it(
    page: Any, browser: Any, server: Seeded, restored_protocol: str
) -> None:
    person = f"/t/low-moss/persons/{server.persons['Healey']}"
    sacro_context = browser.new_context(base_url=server.base_url)
    sacro = sacro_context.new_page()
    try:
        sign_in(sacro, "lm_sacro")
        sacro.goto(person)
        expect(health_row(sacro)).to_contain_text("Not shared with your organisation")

        sign_in(page, "lm_lead")
        page.get_by_role("link", name="Sharing protocol").first.click()
        expect(page.get_by_role("heading", name="Sharing protocol", level=1)).to_be_visible()
        expect(page.get_by_role("table", name="Health")).to_be_visible()
        check_page(page, "protocol")

        page.locator("a.govuk-button", has_text="Edit the rules").click()
        rules = page.get_by_label("Rules", exact=True)
        assert rules.input_value().strip() == restored_protocol.strip()
        rules.fill(rules.input_value() + "\n" + NEW_RULE + "\n")
        page.get_by_role("button", name="Preview the effect").click()
        effect = page.locator("section[aria-labelledby=effect]")
        expect(
            effect.get_by_text(re.compile(r"^This change lets \d+ users? in \d+ "))
        ).to_contain_text("read Health for")
        expect(effect.get_by_role("cell", name=NEW_RULE)).to_be_visible()
        expect(effect.get_by_text("+ Added")).to_be_visible()
        # The draft survives the preview, exactly as typed.
        assert NEW_RULE in page.get_by_label("Rules", exact=True).input_value()
        check_page(page, "protocol-edit-preview")

        page.get_by_label("Why are you changing the protocol?").fill(
            "Key workers need health for liberation planning"
        )
        page.get_by_role("button", name="Publish").click()
        banner = page.locator(".govuk-notification-banner--success")
        expect(banner).to_contain_text(re.compile(r"Version \d+ published"))
        expect(page.get_by_text("Key workers need health for liberation planning")).to_be_visible()

        page.get_by_role("link", name="Version history").first.click()
        check_page(page, "protocol-versions")
        page.get_by_role("link", name=re.compile("See changes")).first.click()
        expect(page.get_by_role("cell", name=NEW_RULE)).to_be_visible()
        expect(page.get_by_text("+ Added")).to_be_visible()
        check_page(page, "protocol-diff")

        page.get_by_role("link", name="Explain a decision").click()
        page.get_by_label("Member", exact=True).select_option(label="Lm Sacro")
        page.get_by_label("Person", exact=True).fill("LM100205")
        page.get_by_label("Information", exact=True).select_option("health")
        page.get_by_role("button", name="Explain").click()
        expect(page.locator("#decision")).to_contain_text("Allowed by the protocol")
        check_page(page, "protocol-explain")

        # The other partner's next page load decides under the new version.
        sacro.goto(person)
        expect(health_row(sacro)).not_to_contain_text("Not shared with your organisation")
        expect(health_row(sacro)).to_contain_text("1 intervention")
        expect(sacro.get_by_text("Started a reducing regime")).to_be_visible()
        screenshot(sacro, "person-record-health-shared")
    finally:
        sacro_context.close()


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
