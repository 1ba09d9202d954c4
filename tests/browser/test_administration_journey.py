"""The lead onboards and offboards a worker in the browser: adds an organisation, invites a
worker who chooses a password through the link, changes their role, deactivates them, and
the worker's open session ends at once. Every page axe clean."""

from __future__ import annotations

import secrets
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, axe_violations, screenshot, sign_in

WORKER_PASSWORD = "a long password for the new worker"


def check_page(tab: Any, name: str) -> None:
    tab.wait_for_load_state("networkidle")
    screenshot(tab, name)
    violations = axe_violations(tab)
    assert violations == [], f"{name}: {violations}"


def test_the_lead_onboards_and_offboards_a_worker(page: Any, browser: Any, server: Seeded) -> None:
    suffix = secrets.token_hex(3)
    org_name = f"Positive Prison Partners {suffix}"
    username = f"ppp.worker{suffix}"

    sign_in(page, "lm_lead")
    page.get_by_role("link", name="Administration").first.click()
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    check_page(page, "admin-index")

    # An organisation: the form's errors first, then added.
    page.get_by_role("link", name="Organisations").click()
    page.get_by_role("link", name="Add an organisation").click()
    page.get_by_role("button", name="Add organisation").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the organisation's name")
    check_page(page, "admin-organisation-errors")
    page.get_by_label("Name").fill(org_name)
    page.get_by_label("Third sector").check()
    page.get_by_role("button", name="Add organisation").click()
    expect(page.get_by_role("heading", name=org_name, level=1)).to_be_visible()
    expect(page.get_by_text(f"{org_name} has been added")).to_be_visible()
    check_page(page, "admin-organisation")

    # A worker in it, invited by a link; the typed values survive an error.
    page.goto("/t/low-moss/admin/members/new")
    page.get_by_label("Full name").fill("Robin Gate")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Organisation").select_option(label=org_name)
    page.get_by_label("Case worker").check()
    page.get_by_label("Email them a link").check()
    page.get_by_role("button", name="Add member").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter their email address")
    assert page.get_by_label("Full name").input_value() == "Robin Gate"
    assert page.get_by_label("Case worker").is_checked()
    check_page(page, "admin-member-errors")
    page.get_by_label("Email address").fill("robin@example.org")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("heading", name="Robin Gate has been added")).to_be_visible()
    link = page.locator("#invitation-link").get_attribute("href")
    assert link and "/t/low-moss/welcome/" in link
    check_page(page, "admin-member-created")

    worker_context = browser.new_context(base_url=server.base_url)
    worker = worker_context.new_page()
    try:
        worker.goto(link)
        expect(
            worker.get_by_role("heading", name="Welcome to Throughcare, Robin Gate")
        ).to_be_visible()
        check_page(worker, "welcome")
        worker.get_by_label("Password", exact=True).fill(WORKER_PASSWORD)
        worker.get_by_label("Type your password again").fill(WORKER_PASSWORD)
        worker.get_by_role("button", name="Save password and sign in").click()
        worker.wait_for_url("**/t/low-moss/caseload")
        expect(worker.get_by_role("heading", level=1)).to_be_visible()
        # The link is spent.
        worker_context.new_page().goto(link)

        # The lead changes the worker's role; the worker sees it on their next page.
        page.goto("/t/low-moss/admin/members")
        page.get_by_role("link", name="Robin Gate").click()
        expect(page.locator("#member-status")).to_have_text("Active")
        page.get_by_label("Case worker").uncheck()
        page.get_by_label("Analyst").check()
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("Your change has been saved")).to_be_visible()
        check_page(page, "admin-member")
        worker.goto("/t/low-moss/caseload")
        worker.wait_for_url("**/t/low-moss/reports")

        # Deactivated now, with a confirmation page: the open session ends at once.
        page.get_by_role("link", name="Deactivate Robin Gate").click()
        page.get_by_label("Now: their open sessions and tokens end at once").check()
        check_page(page, "admin-member-deactivate")
        page.get_by_role("button", name="Deactivate").click()
        expect(page.locator("#member-status")).to_have_text("Deactivated")
        expect(page.locator("#history")).to_be_visible()
        worker.goto("/t/low-moss/reports")
        worker.wait_for_url("**/sign-in**")
        expect(worker.get_by_role("heading", name="Sign in to Throughcare")).to_be_visible()

        page.goto("/t/low-moss/admin/access-review")
        expect(page.get_by_role("heading", name="Access review")).to_be_visible()
        assert "Robin Gate" not in page.locator("table").inner_text()
        check_page(page, "admin-access-review")
    finally:
        worker_context.close()
