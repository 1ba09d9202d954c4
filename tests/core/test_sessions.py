"""A script with a bearer token never touches the session store: with Redis (the store
in production) unreachable, its requests still succeed and set no cookie."""

from __future__ import annotations

import socket

import msgspec
from litestar.testing import AsyncTestClient

from core.app import create_app
from core.settings import RedisSettings
from tests.conftest import seed_world


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the socket goes


async def test_bearer_requests_work_while_the_session_store_is_down(settings, password_hash):
    seeded = await seed_world(settings, password_hash)
    down = msgspec.structs.replace(
        settings, redis=RedisSettings(url=f"redis://127.0.0.1:{closed_port()}/0")
    )
    async with AsyncTestClient(app=create_app(down)) as client:
        response = await client.get(
            "/api/v1/t/low-moss/persons",
            headers={"Authorization": f"Bearer {seeded['tokens']['lm_worker']}"},
        )
        assert response.status_code == 200, response.text
        assert "set-cookie" not in response.headers


async def test_the_sign_in_rate_limit_comes_from_the_settings(settings, password_hash):
    await seed_world(settings, password_hash)
    strict = msgspec.structs.replace(
        settings,
        security=msgspec.structs.replace(settings.security, login_attempts_per_minute=3),
    )
    async with AsyncTestClient(app=create_app(strict)) as client:
        body = {"username": "nobody", "password": "wrong"}
        statuses = [
            (await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(4)
        ]
    assert statuses == [401, 401, 401, 429]
