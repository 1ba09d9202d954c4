"""Signing in with a TOTP code in a real browser: enrol from the pages, sign out, sign in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Seeded, axe_violations, screenshot
from tests.conftest import PASSWORD

# A user no other browser journey signs in as: the server is shared by the package.
USER = "lc_worker"
CASELOAD = "**/t/leicester/caseload"


def password_step(page: Any) -> None:
    page.goto("/sign-in")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def page(browser: Any, server: Seeded) -> Iterator[Any]:
    # Its own context: axe-core is injected inline, which the pages' CSP rightly refuses.
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_enrol_sign_out_and_sign_in_with_the_code(page: Any, server: Seeded) -> None:
    password_step(page)
    page.wait_for_url(CASELOAD)

    page.get_by_role("link", name="Second factor").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator("#qr-code svg")).to_be_visible()
    secret = page.locator("#secret").inner_text().strip()
    assert axe_violations(page) == []
    screenshot(page, "second-factor-enrol")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on the second factor").click()
    expect(page.get_by_role("heading", name="Second factor turned on")).to_be_visible()
    recovery = page.locator("#recovery-codes li").all_inner_texts()
    assert len(recovery) == 10

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signed-out")

    # The password alone now leads to the code, not to the caseload.
    password_step(page)
    page.wait_for_url("**/sign-in/second-factor**")
    assert axe_violations(page) == []
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    # The next time step's code: the enrolment's own code cannot be used twice.
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(CASELOAD)
    expect(page.get_by_role("heading", name="Caseload", level=1)).to_be_visible()
    screenshot(page, "second-factor-signed-in")

    # Turned off with a recovery code, so the server's other journeys see no change.
    page.goto("/second-factor")
    page.get_by_label("Code").fill(recovery[0])
    page.get_by_role("button", name="Turn off the second factor").click()
    expect(page.get_by_text("The second factor is turned off")).to_be_visible()
