"""axe-core on every main page: no serious or critical violations. Screenshots for review."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Seeded, axe_violations, screenshot, sign_in

# (name, path, who): path may name a seeded person by family name.
PAGES = [
    ("sign-in", "/sign-in", None),
    ("caseload", "/t/low-moss/caseload", "lm_worker"),
    ("caseload-empty-search", "/t/low-moss/caseload?q=nobody-called-this", "lm_worker"),
    ("person-record", "/t/low-moss/persons/{Healey}", "lm_nurse"),
    ("person-record-plan-and-outcomes", "/t/low-moss/persons/{Baird}", "lm_worker"),
    ("intervention-form", "/t/low-moss/persons/{Drummond}/interventions/new", "lm_worker"),
    ("referral-form", "/t/low-moss/persons/{Drummond}/referrals/new", "lm_worker"),
    ("review-form", "/t/low-moss/persons/{Drummond}/reviews/new", "lm_worker"),
    ("consent-form", "/t/low-moss/persons/{Drummond}/consents/new", "lm_worker"),
    ("liberation-form", "/t/low-moss/persons/{Drummond}/liberation", "lm_worker"),
    ("meeting", "/t/low-moss/meeting", "lm_officer"),
    ("my-tasks", "/t/low-moss/tasks", "lm_worker"),
    ("reports-analyst", "/t/low-moss/reports", "lm_analyst"),
    ("not-found", "/t/low-moss/no-such-page", "lm_worker"),
]


@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violations(
    page: Any, server: Seeded, name: str, path: str, who: str | None
) -> None:
    if who:
        sign_in(page, who)
    page.goto(path.format(**server.persons))
    page.wait_for_load_state("networkidle")
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], f"{name}: {violations}"


def test_a_form_with_errors_has_no_serious_violations(page: Any, server: Seeded) -> None:
    sign_in(page, "lm_worker")
    page.goto(f"/t/low-moss/persons/{server.persons['Drummond']}/reviews/new")
    page.get_by_role("button", name="Save review").click()
    page.locator(".govuk-error-summary").wait_for()
    screenshot(page, "review-form-errors")
    assert axe_violations(page) == []


def test_every_page_in_the_navigation_has_no_serious_violations(page: Any, server: Seeded) -> None:
    """Core's pages and every enabled plugin's, as the partnership lead sees the menu."""
    sign_in(page, "lm_lead")
    links = page.locator("#navigation a").evaluate_all("els => els.map(e => e.pathname)")
    assert len(links) >= 3
    found = {}
    for path in links:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        screenshot(page, "nav" + path.replace("/", "-"))
        found[path] = axe_violations(page)
    assert {path: v for path, v in found.items() if v} == {}
