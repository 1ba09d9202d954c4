"""With the portal's Redis unreachable: bearer requests and API sign-in work, signed-in
pages and page sign-in get the plain 503 message (never a 500), and the sign-in rate limit
still counts, in the process."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from core.app import create_app
from core.redis_safety import SESSIONS_DOWN
from core.settings import RedisSettings
from tests.conftest import PASSWORD
from tests.core.test_web import csrf_from

LM = "/api/v1/t/low-moss"


def dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # closed again: nothing listens there


LIMIT = 3  # sign-ins a minute per address: small, so the test stays quick


@pytest.fixture
async def down(world: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    security = msgspec.structs.replace(world.settings.security, login_attempts_per_minute=LIMIT)
    settings = msgspec.structs.replace(
        world.settings, redis=RedisSettings(url=dead_redis_url()), security=security
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        client.follow_redirects = False
        yield client


async def test_bearer_requests_work_with_a_session_cookie_and_no_redis(world, down):
    down.cookies.set("throughcare_session", "a" * 64)
    auth = world.auth("lm_worker")
    assert (await down.get(f"{LM}/persons?limit=5", headers=auth)).status_code == 200
    made = await down.post(
        f"{LM}/persons",
        json={"given_name": "No", "family_name": "Redis", "date_of_birth": "1980-01-01"},
        headers=auth,
    )
    assert made.status_code == 201, made.text


async def test_api_sign_in_returns_its_token_without_a_session(down):
    response = await down.post(
        "/api/v1/auth/login", json={"username": "lm_worker", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.json()["token"]
    assert "throughcare_session" not in response.headers.get("set-cookie", "")


async def test_a_signed_in_page_is_a_plain_503_not_a_500(down):
    down.cookies.set("throughcare_session", "a" * 64)
    page = await down.get("/t/low-moss/caseload")
    assert page.status_code == 503
    assert page.headers["retry-after"]
    assert "text/html" in page.headers["content-type"]
    assert "Sorry, the service is unavailable" in page.text
    assert "Traceback" not in page.text and "redis" not in page.text.lower()
    api = await down.get(f"{LM}/persons")  # the cookie alone, on the API: JSON, same message
    assert api.status_code == 503 and api.json()["detail"] == SESSIONS_DOWN


async def test_page_sign_in_that_cannot_save_its_session_says_so(down):
    form = await down.get("/sign-in")
    assert form.status_code == 200  # no cookie yet: no store needed
    signed_in = await down.post(
        "/sign-in",
        data={"username": "lm_worker", "password": PASSWORD, "_csrf_token": csrf_from(form.text)},
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/unavailable"
    assert "throughcare_session" not in signed_in.headers.get("set-cookie", "")
    page = await down.get("/unavailable")
    assert page.status_code == 503 and "Sorry, the service is unavailable" in page.text


async def test_the_sign_in_rate_limit_counts_in_the_process_while_redis_is_down(down):
    wrong = {"username": "nobody", "password": "wrong-password"}
    codes = [(await down.post("/api/v1/auth/login", json=wrong)).status_code for _ in range(LIMIT)]
    assert set(codes) == {401}
    assert (await down.post("/api/v1/auth/login", json=wrong)).status_code == 429
