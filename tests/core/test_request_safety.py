"""Sessions and requests that can't be turned against a user: session fixation, cookie-only
API writes, sign-out ending the whole sign-in, and forwarded-for spoofing of the rate limit."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from core.app import create_app
from tests.conftest import PASSWORD, seed_world

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
COOKIE = "throughcare_session"
HOST = "testserver.local"  # the test client's; the cookie the app sets is scoped to it
PLANTED = "attacker-chosen-session-id"
PERSONS = "/api/v1/t/low-moss/persons"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def api_sign_in(client: Any, username: str = "lm_worker") -> dict[str, Any]:
    response = await client.post(LOGIN, json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def page_sign_in(client: Any, username: str = "lm_worker") -> Any:
    page = await client.get("/sign-in")
    token = CSRF.search(page.text)
    assert token
    return await client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "_csrf_token": token.group(1)},
        follow_redirects=False,
    )


async def planted_cookie_is_signed_in(world: Any) -> bool:
    async with AsyncTestClient(app=world.client.app) as attacker:
        attacker.cookies.set(COOKIE, PLANTED, domain=HOST)
        return (await attacker.get(ME)).status_code == 200


# -- session fixation ---------------------------------------------------------------------


async def test_api_sign_in_issues_a_new_session_id(world: Any) -> None:
    world.client.cookies.set(COOKIE, PLANTED, domain=HOST)
    await api_sign_in(world.client)
    assert world.client.cookies.get(COOKIE) not in (None, PLANTED)
    assert (await world.client.get(ME)).status_code == 200
    assert not await planted_cookie_is_signed_in(world)


async def test_page_sign_in_issues_a_new_session_id(world: Any) -> None:
    world.client.cookies.set(COOKIE, PLANTED, domain=HOST)
    response = await page_sign_in(world.client)
    assert response.status_code in (302, 303), response.text
    assert world.client.cookies.get(COOKIE) not in (None, PLANTED)
    assert not await planted_cookie_is_signed_in(world)


async def test_signing_in_again_retires_the_previous_session_id(world: Any) -> None:
    await api_sign_in(world.client)
    first = world.client.cookies.get(COOKIE)
    await api_sign_in(world.client, "lm_lead")
    second = world.client.cookies.get(COOKIE)
    assert first and second and first != second
    async with AsyncTestClient(app=world.client.app) as old:
        old.cookies.set(COOKIE, first, domain=HOST)
        assert (await old.get(ME)).status_code == 401


async def test_sign_out_ends_the_session_id_in_the_store(world: Any) -> None:
    await page_sign_in(world.client)
    cookie = world.client.cookies.get(COOKIE)
    token = CSRF.search((await world.client.get("/sign-in")).text)
    assert token
    out = await world.client.post(
        "/sign-out", data={"_csrf_token": token.group(1)}, follow_redirects=False
    )
    assert out.status_code in (302, 303)
    async with AsyncTestClient(app=world.client.app) as replay:
        replay.cookies.set(COOKIE, cookie, domain=HOST)
        assert (await replay.get(ME)).status_code == 401


# -- one sign-in, one ending ------------------------------------------------------------------


async def test_bearer_sign_out_also_ends_the_session_of_that_sign_in(world: Any) -> None:
    token = (await api_sign_in(world.client))["token"]
    cookie = world.client.cookies.get(COOKIE)
    world.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await world.client.post("/api/v1/auth/logout", headers=bearer)).status_code == 200
    world.client.cookies.set(COOKIE, cookie, domain=HOST)
    assert (await world.client.get(ME)).status_code == 401
    page = await world.client.get("/t/low-moss/caseload", follow_redirects=False)
    assert page.status_code in (302, 303) and "/sign-in" in page.headers["location"]


async def test_session_sign_out_also_revokes_the_token_of_that_sign_in(world: Any) -> None:
    token = (await api_sign_in(world.client))["token"]
    assert (await world.client.post("/api/v1/auth/logout")).status_code == 200
    world.client.cookies.clear()
    me = await world.client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


async def test_another_sign_in_is_left_alone_by_a_sign_out(world: Any) -> None:
    # The seeded token is a different sign-in of the same user: it keeps working.
    await api_sign_in(world.client)
    await world.client.post("/api/v1/auth/logout")
    assert (await world.get("lm_worker", ME)).status_code == 200


# -- cookie-only API writes -----------------------------------------------------------------

PERSON = {
    "given_name": "Forged",
    "family_name": "Write",
    "date_of_birth": "1985-02-03",
    "prison_number": "F100001",
}


async def person_count(world: Any) -> int:
    return len((await world.get("lm_worker", PERSONS)).json()["items"])


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps(PERSON)),
        ("application/x-www-form-urlencoded", "given_name=Forged&family_name=Write"),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
)
async def test_a_cookie_only_api_write_a_page_could_forge_is_refused(
    world: Any, content_type: str, body: str
) -> None:
    before = await person_count(world)
    await api_sign_in(world.client)
    response = await world.client.post(
        PERSONS, content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 403, response.text
    assert "Bearer" in response.json()["detail"]
    assert await person_count(world) == before


async def test_a_cross_site_json_write_with_the_cookie_is_refused(world: Any) -> None:
    before = await person_count(world)
    await api_sign_in(world.client)
    response = await world.client.post(
        PERSONS, json=PERSON, headers={"sec-fetch-site": "cross-site"}
    )
    assert response.status_code == 403
    assert await person_count(world) == before


async def test_a_same_site_json_write_with_the_cookie_still_works(world: Any) -> None:
    await api_sign_in(world.client)
    response = await world.client.post(
        PERSONS, json=PERSON, headers={"sec-fetch-site": "same-origin"}
    )
    assert response.status_code == 201, response.text


async def test_a_bearer_write_with_any_content_type_is_judged_on_its_body(world: Any) -> None:
    response = await world.client.post(
        PERSONS,
        content=json.dumps(PERSON),
        headers={**world.auth("lm_worker"), "content-type": "text/plain"},
    )
    assert response.status_code != 403


# -- forwarded-for ---------------------------------------------------------------------------


ATTEMPTS_PER_MINUTE = 3


def strict(settings: Any, **server: Any) -> Any:
    return msgspec.structs.replace(
        settings,
        security=msgspec.structs.replace(
            settings.security, login_attempts_per_minute=ATTEMPTS_PER_MINUTE
        ),
        server=msgspec.structs.replace(settings.server, **server),
    )


async def attempts(app: Any, count: int = 2 * ATTEMPTS_PER_MINUTE) -> list[int]:
    """Sign-in attempts, each claiming a different client address in X-Forwarded-For."""
    statuses = []
    async with AsyncTestClient(app=app) as client:
        for i in range(count):
            headers = {"x-forwarded-for": f"203.0.113.{i}"}
            body = {"username": f"nobody{i}", "password": "wrong"}
            statuses.append((await client.post(LOGIN, json=body, headers=headers)).status_code)
    return statuses


async def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(
    settings: Any, password_hash: str
) -> None:
    await seed_world(settings, password_hash)
    statuses = await attempts(create_app(strict(settings)))
    assert statuses[:ATTEMPTS_PER_MINUTE] == [401] * ATTEMPTS_PER_MINUTE
    assert set(statuses[ATTEMPTS_PER_MINUTE:]) == {429}


async def test_forwarded_for_from_a_trusted_proxy_is_the_client_address(
    settings: Any, password_hash: str
) -> None:
    await seed_world(settings, password_hash)
    # The test client's peer address is "testclient": configured here as the proxy.
    behind_proxy = strict(settings, trusted_proxies=("testclient",))
    statuses = await attempts(create_app(behind_proxy))
    assert 429 not in statuses  # each forwarded address has its own allowance


def test_the_trusted_proxies_setting_is_read_from_the_environment(monkeypatch: Any) -> None:
    from core.settings import load_settings

    monkeypatch.setenv("THROUGHCARE_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2")
    assert load_settings().server.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    monkeypatch.delenv("THROUGHCARE_TRUSTED_PROXIES")
    assert load_settings().server.trusted_proxies == ()


def test_serve_leaves_forwarded_headers_to_the_app(monkeypatch: Any) -> None:
    # uvicorn's own proxy handling would believe FORWARDED_ALLOW_IPS (the k8s ConfigMap
    # says "*"): from anyone, a fresh address per sign-in attempt.
    import uvicorn
    from click.testing import CliRunner

    from core.cli import main

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False
    assert seen["server_header"] is False
