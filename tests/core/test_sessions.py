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
