"""Security headers on every kind of response, and the session cookie's attributes."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from core.app import create_app
from core.web.plugin import template_directories
from tests.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>")
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def assert_secure_headers(response: Any) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ") if d}
    assert directives.get("script-src") == ["'self'"], csp  # no inline script, no eval
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin")
    assert "server" not in headers


@pytest.mark.parametrize(
    ("path", "auth"),
    [
        ("/api/v1/auth/me", True),  # API
        ("/api/v1/auth/me", False),  # API error (401)
        ("/api/v1/no-such-thing", True),  # API 404
        ("/sign-in", False),  # page
        ("/no-such-page", False),  # page 404
        ("/static/app.js", False),  # static file
        ("/health", False),
    ],
)
async def test_every_response_carries_the_security_headers(
    world: Any, path: str, auth: bool
) -> None:
    response = await world.client.get(path, headers=world.auth("lm_worker") if auth else {})
    assert_secure_headers(response)
    assert "strict-transport-security" not in response.headers  # plain http here


async def test_https_responses_carry_hsts(world: Any) -> None:
    async with AsyncTestClient(app=world.client.app, base_url="https://testserver.local") as c:
        response = await c.get("/sign-in")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_no_template_has_inline_script() -> None:
    """The CSP would block it: every script is a file under /static, no on*= handlers."""
    offenders = []
    for directory in template_directories():
        for template in directory.rglob("*.html"):
            text = template.read_text()
            for tag in SCRIPT_TAG.findall(text):
                if "src=" not in tag:
                    offenders.append(f"{template.name}: {tag}")
            offenders += [f"{template.name}: {h}" for h in EVENT_HANDLER.findall(text)]
            if "javascript:" in text:
                offenders.append(f"{template.name}: javascript: URL")
    assert offenders == []


@pytest.mark.parametrize(("environment", "secure"), [("test", False), ("production", True)])
async def test_the_session_cookie_is_httponly_samesite_and_secure_outside_dev(
    world: Any, environment: str, secure: bool
) -> None:
    settings = msgspec.structs.replace(
        world.settings,
        server=msgspec.structs.replace(world.settings.server, environment=environment),
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("throughcare_session=")
    ).lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie or "samesite=lax" in cookie
    assert ("secure" in cookie.split("; ")) is secure
