"""Typing keeps the session alive (issue 12): the page posts to /session/refresh, which is
CSRF-checked, answers only a signed-in user, renews the idle timeout without rotating the
session, and tells the page how long it now lasts; the warning carries a countdown."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.core.test_web import csrf_from, sign_in

HX_TOKEN = re.compile(r"hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'")


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def page_token(world: Any) -> str:
    page = await world.client.get("/t/low-moss/caseload")
    assert page.status_code == 200, page.text
    match = HX_TOKEN.search(page.text)
    assert match, "the page carries no CSRF token for scripts"
    return match.group(1)


async def test_refresh_needs_a_signed_in_user(world: Any) -> None:
    page = await world.client.get("/sign-in")
    token = csrf_from(page.text)
    anonymous = await world.client.post("/session/refresh", headers={"x-csrftoken": token})
    assert anonymous.status_code in (302, 303, 401)


async def test_refresh_is_csrf_checked(world: Any) -> None:
    await sign_in(world, "lm_worker")
    refused = await world.client.post("/session/refresh")
    assert refused.status_code == 403
    assert "CSRF" not in refused.text and "Traceback" not in refused.text


async def test_refresh_renews_the_session_and_says_for_how_long(world: Any) -> None:
    await sign_in(world, "lm_worker")
    cookie = world.client.cookies.get("throughcare_session")
    assert cookie
    token = await page_token(world)
    renewed = await world.client.post("/session/refresh", headers={"x-csrftoken": token})
    assert renewed.status_code == 200, renewed.text
    idle = world.settings.security.session_idle_minutes * 60
    assert renewed.json() == {"idle_seconds": idle}
    # The session cookie is sent again with the full idle lifetime, under the same id:
    # no privilege changed, so no rotation.
    set_cookie = renewed.headers.get("set-cookie", "")
    assert f"Max-Age={idle}" in set_cookie
    assert world.client.cookies.get("throughcare_session") == cookie
    assert (await world.client.get("/t/low-moss/caseload")).status_code == 200


async def test_the_warning_has_a_countdown_and_the_page_loads_the_scripts(world: Any) -> None:
    await sign_in(world, "lm_worker")
    page = await world.client.get("/t/low-moss/caseload")
    assert 'id="session-countdown"' in page.text
    assert '<script type="module" src="/static/session-timeout.js"></script>' in page.text
    script = await world.client.get("/static/session-timeout.js")
    assert script.status_code == 200 and "/session/refresh" in script.text
    drafts = await world.client.get("/static/drafts.js")
    assert drafts.status_code == 200 and "sessionStorage" in drafts.text
