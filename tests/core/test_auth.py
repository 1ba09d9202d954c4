"""Sign-in, tokens, sessions, lock-out, the platform admin."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from core.accounts.admin import reset_user_password
from core.app import create_app
from core.db.engine import make_engine, make_session_factory
from tests.conftest import PASSWORD, make_settings

LOGIN = "/api/v1/auth/login"


async def test_login_gives_token_and_session(world):
    response = await world.client.post(LOGIN, json={"username": "LM_Worker", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == "lm_worker"
    assert [m["tenant"] for m in body["user"]["memberships"]] == ["low-moss"]
    assert "throughcare_session" in response.cookies

    # The bearer token works on its own, without the cookie ...
    world.client.cookies.clear()
    me = await world.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert me.status_code == 200 and me.json()["username"] == "lm_worker"


async def test_session_cookie_authenticates_pages_and_api(world):
    await world.client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
    assert (await world.client.get("/api/v1/auth/me")).status_code == 200
    assert (await world.client.get("/api/v1/t/low-moss/persons")).status_code == 200
    await world.client.post("/api/v1/auth/logout")
    assert (await world.client.get("/api/v1/auth/me")).status_code == 401


async def test_logout_revokes_the_token(world):
    token = (
        await world.client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
    ).json()["token"]
    world.client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    assert (await world.client.post("/api/v1/auth/logout", headers=headers)).status_code == 200
    assert (await world.client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_wrong_password_and_unknown_user_get_the_same_answer(world):
    wrong = await world.client.post(LOGIN, json={"username": "lm_worker", "password": "nope"})
    unknown = await world.client.post(LOGIN, json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_lockout_after_repeated_failures(world):
    for _ in range(5):
        r = await world.client.post(LOGIN, json={"username": "lm_nurse", "password": "bad"})
        assert r.status_code == 401
    locked = await world.client.post(LOGIN, json={"username": "lm_nurse", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    # Another account is unaffected.
    ok = await world.client.post(LOGIN, json={"username": "lm_sacro", "password": PASSWORD})
    assert ok.status_code == 200


async def test_password_reset_revokes_tokens_and_sessions(world):
    await world.client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
    assert (await world.client.get("/api/v1/auth/me")).status_code == 200
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            await reset_user_password(session, "lm_worker", "a brand new passphrase")
    finally:
        await engine.dispose()
    assert (await world.client.get("/api/v1/auth/me")).status_code == 401  # the session
    assert (await world.get("lm_worker", "/api/v1/auth/me")).status_code == 401  # the token


async def test_login_rate_limit_per_client(world):
    statuses = [
        (await world.client.post(LOGIN, json={"username": f"x{i}", "password": "y"})).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


async def test_platform_admin_sees_tenants_but_no_case_data(world):
    tenants = await world.get("admin", "/api/v1/admin/tenants")
    assert tenants.status_code == 200
    assert {t["slug"] for t in tenants.json()} == {"low-moss", "hmp-perth", "leicester"}
    assert (await world.get("lm_lead", "/api/v1/admin/tenants")).status_code == 404
    assert (await world.get("admin", "/api/v1/t/low-moss/persons")).status_code == 404


async def test_member_sees_own_partnership_description(world):
    r = await world.get("lm_nurse", "/api/v1/t/low-moss")
    assert r.status_code == 200
    body = r.json()
    assert "health" in body["sharing_categories"]
    assert {o["slug"] for o in body["organisations"]} >= {"sacro", "nhs-ggc", "sps-low-moss"}
    assert (await world.get("lm_nurse", "/api/v1/t/leicester")).status_code == 404
    assert (await world.get("lm_nurse", "/api/v1/t/no-such-place")).status_code == 404


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Token abc"])
async def test_malformed_authorization_header(world, header):
    r = await world.client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert r.status_code == 401


async def test_sessions_in_redis(db_url, tmp_path, password_hash, redis_url):
    """With Redis configured, server-side sessions live there (several web processes)."""
    from tests.conftest import seed_world

    settings = make_settings(db_url, tmp_path / "var")
    settings = type(settings)(
        db=settings.db,
        redis=type(settings.redis)(url=redis_url),
        security=settings.security,
        server=settings.server,
        paths=settings.paths,
    )
    await seed_world(settings, password_hash)
    async with AsyncTestClient(app=create_app(settings)) as client:
        r = await client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
        assert r.status_code == 200
        assert (await client.get("/api/v1/auth/me")).status_code == 200
    # A second app (another process, in effect) accepts the same cookie.
    cookie = r.cookies["throughcare_session"]
    async with AsyncTestClient(app=create_app(settings)) as other:
        other.cookies.set("throughcare_session", cookie)
        assert (await other.get("/api/v1/auth/me")).status_code == 200


def test_session_absolute_timeout_and_password_change():
    from datetime import timedelta

    from core.accounts.services import session_is_fresh
    from core.db.base import utcnow

    changed = utcnow() - timedelta(days=2)
    now = utcnow().timestamp()
    assert session_is_fresh(now - 60, changed, absolute_hours=10)
    assert not session_is_fresh(now - 11 * 3600, changed, absolute_hours=10)
    # A session issued before the password last changed is dead.
    assert not session_is_fresh(changed.timestamp() - 1, changed, absolute_hours=100)
