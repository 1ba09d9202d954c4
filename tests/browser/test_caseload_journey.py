"""The caseload's two lists in a real browser: my people first, everyone one click away, closed
episodes on request; the analyst lands on the reports (issue 12)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, screenshot, sign_in


def test_a_worker_moves_between_my_people_and_everyone(page: Any, server: Seeded) -> None:
    sign_in(page, "lm_worker")
    lists = page.get_by_role("navigation", name="Whose people")
    expect(lists.locator("[aria-current=page]")).to_have_count(1)
    page.goto("/t/low-moss/caseload?people=mine")
    expect(lists.locator("[aria-current=page]")).to_have_text("My people")
    lists.get_by_role("link", name=re.compile("Everyone in")).click()
    expect(page).to_have_url(re.compile(r"people=all"))
    expect(lists.locator("[aria-current=page]")).to_have_text(re.compile("Everyone in"))
    # The closed-episodes choice travels with the list and the filters.
    page.get_by_label("Include closed episodes").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"closed=1"))
    expect(page).to_have_url(re.compile(r"people=all"))
    expect(page.get_by_label("Include closed episodes")).to_be_checked()
    screenshot(page, "caseload-everyone-with-closed")


def test_the_analyst_lands_on_the_reports(page: Any, server: Seeded) -> None:
    sign_in(page, "lm_analyst")
    expect(page).to_have_url(re.compile(r"/t/low-moss/reports$"))
    page.goto("/t/low-moss/caseload")
    expect(page).to_have_url(re.compile(r"/t/low-moss/reports$"))
