"""A Sacro worker is offered only the forms they can send; a refused one keeps what was typed."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, axe_violations, screenshot, sign_in

RULE_SYNTAX = re.compile(r"\b[rko]:[a-z_]+,|rule '")


def check_page(tab: Any, name: str) -> None:
    tab.wait_for_load_state("networkidle")
    screenshot(tab, name)
    violations = axe_violations(tab)
    assert violations == [], f"{name}: {violations}"


def test_a_refused_form_keeps_what_was_typed_and_says_why_plainly(
    page: Any, server: Seeded
) -> None:
    person = f"/t/low-moss/persons/{server.persons['Drummond']}"
    sign_in(page, "lm_sacro")
    page.goto(person)
    # Sacro does not work with this person: no outcome review to offer, and one notice
    # for everything withheld instead of a panel in every section.
    record = page.get_by_role("list").filter(has_text="Who has viewed this record")
    expect(record.get_by_role("link", name="Outcome review")).to_have_count(0)
    expect(page.locator("#withheld-notice")).to_have_count(1)
    expect(page.locator("#withheld-notice")).to_contain_text("outcome reviews")
    assert not RULE_SYNTAX.search(page.content())
    check_page(page, "record-withheld-notice")

    # The form as it was offered before the protocol changed: filled in and sent.
    page.goto(f"{person}/reviews/new")
    page.get_by_label("In prison").check()
    for group in page.locator("fieldset.govuk-fieldset").all()[2:]:
        group.get_by_label("7", exact=True).check()
    notes = "Talked through the move to the hostel; wants help with the deposit"
    page.get_by_label("Notes (optional)").fill(notes)
    page.get_by_role("button", name="Save review").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("only for people")
    assert not RULE_SYNTAX.search(page.content())
    expect(page.get_by_label("Notes (optional)")).to_have_value(notes)
    expect(page.get_by_label("In prison")).to_be_checked()
    assert page.locator("input[type=radio][value='7']:checked").count() == 7
    check_page(page, "review-refused-keeps-values")
