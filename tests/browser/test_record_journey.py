"""The record's release checklist as a task list, and consent withdrawn with a reason through
a confirmation page, then given again: a case worker's day on the record (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, api, axe_violations, screenshot, sign_in

LM = "/api/v1/t/low-moss"


def check_page(tab: Any, name: str) -> None:
    tab.wait_for_load_state("networkidle")
    screenshot(tab, name)
    violations = axe_violations(tab)
    assert violations == [], f"{name}: {violations}"


def new_person(server: Seeded, family: str, number: str, **extra: Any) -> str:
    person = api(
        server.base_url,
        server.tokens["lm_worker"],
        "POST",
        f"{LM}/persons",
        {
            "given_name": "Journey",
            "family_name": family,
            "date_of_birth": "1987-05-06",
            "prison_number": number,
            **extra,
        },
    )
    return str(person["id"])


def test_the_release_checklist_is_a_task_list_on_the_record(page: Any, server: Seeded) -> None:
    release = (datetime.now(UTC) + timedelta(days=25)).date().isoformat()
    person = new_person(server, "Checklist", "LM190001", liberation_date=release)
    sign_in(page, "lm_worker")
    page.goto(f"/t/low-moss/persons/{person}")
    checklist = page.locator("#release-checklist")
    expect(checklist).to_be_visible()
    liberation = checklist.locator("li").filter(has_text="Liberation date known")
    expect(liberation).to_contain_text("Completed")
    expect(checklist).to_contain_text("Not started")
    check_page(page, "record-release-checklist")

    # The line links to the form that does it; the checklist page is the same task list.
    liberation.get_by_role("link", name="Liberation date known").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("iberation")
    page.goto(f"/t/low-moss/persons/{person}/release-checklist")
    expect(page.get_by_role("heading", level=1)).to_have_text("Release checklist")
    expect(page.locator(".govuk-task-list")).to_be_visible()
    check_page(page, "release-checklist-page")


def test_consent_is_withdrawn_with_a_reason_then_given_again(page: Any, server: Seeded) -> None:
    person = new_person(server, "Consenting", "LM190002")
    record = f"/t/low-moss/persons/{person}"
    sign_in(page, "lm_worker")
    page.goto(f"{record}/consents/new")
    page.get_by_label("What information did they agree to share?").select_option("health")
    page.get_by_label("Who may it be shared with?").select_option("kind:third_sector")
    page.get_by_label("What will it be used for?").fill("Continuity of care")
    page.get_by_role("button", name="Save consent").click()

    # The section's heading carries the id; its rows are the heading's siblings.
    page.locator("#consent").locator("xpath=..").get_by_role("link", name="Withdraw").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw consent to share")
    check_page(page, "consent-withdraw-confirm")
    # Without a reason nothing is withdrawn: the error summary names the field.
    page.get_by_role("button", name="Withdraw consent").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why consent")
    check_page(page, "consent-withdraw-no-reason")
    reason = "No longer wants the hostel told about his health"
    page.get_by_label("Why is consent being withdrawn?").fill(reason)
    page.get_by_role("button", name="Withdraw consent").click()

    consent = page.locator("#consent").locator("xpath=..")
    expect(consent).to_contain_text(reason)
    expect(consent).to_contain_text("By ")
    check_page(page, "record-consent-withdrawn")
    consent.get_by_role("link", name="Record consent again").click()
    expect(page.get_by_label("What will it be used for?")).to_have_value("Continuity of care")
    check_page(page, "consent-given-again-form")
    page.get_by_role("button", name="Save consent").click()
    consent = page.locator("#consent").locator("xpath=..")
    expect(consent.get_by_role("link", name="Record consent again")).to_have_count(0)
    expect(consent).to_contain_text(reason)
