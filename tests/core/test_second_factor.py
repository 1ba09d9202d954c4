"""The second factor: enrolment, codes at sign-in (API and pages), replay, lock-out, the gate."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from sqlalchemy import select, update

from core.accounts.models import ApiToken, RecoveryCode, UserSecondFactor
from core.accounts.second_factor import is_required
from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.tenancy.models import Tenant
from tests.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"
SF = "/api/v1/auth/second-factor"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def db(world: Any, fn: Any) -> Any:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            result = await fn(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


def next_code(secret: str) -> str:
    # The next time step's code: inside the accepted window, after any step already used.
    return pyotp.TOTP(secret).at(time.time() + 30)


async def enrol(world: Any, username: str = "lm_worker") -> tuple[str, list[str]]:
    """Enrol through the API with a session; returns the secret and the recovery codes."""
    login = await world.client.post(LOGIN, json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    started = await world.client.post(f"{SF}/enrol")
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/Throughcare:")
    assert body["qr_svg"].startswith("<svg")
    secret = body["secret"]
    confirmed = await world.client.post(f"{SF}/confirm", json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    await world.client.post("/api/v1/auth/logout")
    world.client.cookies.clear()
    return secret, codes


async def _actions(world: Any, user_id: Any) -> list[str]:
    async def q(session: Any) -> list[str]:
        rows = await session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == user_id))
        return list(rows.all())

    return await db(world, q)


async def require_second_factor(world: Any, slug: str = "low-moss") -> None:
    async def q(session: Any) -> None:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
        await session.execute(
            update(Tenant)
            .where(Tenant.id == tenant.id)
            .values(config={**tenant.config, "second_factor": "required"})
        )

    await db(world, q)


def test_policy_default_is_required_only_in_production():
    assert is_required(None, "production")
    assert not is_required(None, "development")
    assert not is_required(None, "test")
    assert is_required("required", "test")
    assert not is_required("optional", "production")


async def test_enrolment_then_api_sign_in_needs_the_code(world):
    secret, codes = await enrol(world)
    assert len(codes) == 10 and len(set(codes)) == 10

    missing = await world.client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
    assert missing.status_code == 401 and "otp" in missing.json()["detail"]
    wrong = await world.client.post(
        LOGIN, json={"username": "lm_worker", "password": PASSWORD, "otp": "000000"}
    )
    assert wrong.status_code == 401
    ok = await world.client.post(
        LOGIN, json={"username": "lm_worker", "password": PASSWORD, "otp": next_code(secret)}
    )
    assert ok.status_code == 200, ok.text

    async def flags(session: Any) -> list[bool]:
        rows = await session.scalars(
            select(ApiToken.second_factor).where(ApiToken.user_id == world.users["lm_worker"].id)
        )
        return sorted(rows.all())

    # The seeded token and the one from enrolment's sign-in had no code; the last did.
    assert await db(world, flags) == [False, False, True]
    done = await _actions(world, world.users["lm_worker"].id)
    for action in ("second_factor_enrolled", "second_factor_failed", "second_factor_passed"):
        assert action in done


async def test_the_secret_is_not_stored_in_clear(world):
    secret, _ = await enrol(world)

    async def q(session: Any) -> tuple[str, list[str]]:
        factor = await session.get(UserSecondFactor, world.users["lm_worker"].id)
        hashes = await session.scalars(select(RecoveryCode.code_hash))
        return factor.secret_encrypted, list(hashes.all())

    stored, hashes = await db(world, q)
    assert secret not in stored and len(hashes) == 10


async def test_a_used_code_cannot_be_replayed(world):
    secret, _ = await enrol(world)
    code = next_code(secret)
    body = {"username": "lm_worker", "password": PASSWORD, "otp": code}
    assert (await world.client.post(LOGIN, json=body)).status_code == 200
    world.client.cookies.clear()
    assert (await world.client.post(LOGIN, json=body)).status_code == 401


async def test_a_recovery_code_works_once(world):
    _, codes = await enrol(world)
    body = {"username": "lm_worker", "password": PASSWORD, "otp": codes[3].upper()}
    assert (await world.client.post(LOGIN, json=body)).status_code == 200
    world.client.cookies.clear()
    assert (await world.client.post(LOGIN, json=body)).status_code == 401
    assert "recovery_code_used" in await _actions(world, world.users["lm_worker"].id)


async def test_failed_codes_lock_the_account(world):
    secret, _ = await enrol(world)
    for _ in range(world.settings.security.login_max_failures):
        r = await world.client.post(
            LOGIN, json={"username": "lm_worker", "password": PASSWORD, "otp": "123456"}
        )
        assert r.status_code == 401
    # The right password no longer clears the count, and the right code is refused too.
    locked = await world.client.post(
        LOGIN, json={"username": "lm_worker", "password": PASSWORD, "otp": next_code(secret)}
    )
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


async def test_a_bearer_token_cannot_enrol(world):
    r = await world.post("lm_worker", f"{SF}/enrol")
    assert r.status_code == 403


async def test_disable_needs_a_code(world):
    secret, codes = await enrol(world)
    await world.client.post(
        LOGIN, json={"username": "lm_worker", "password": PASSWORD, "otp": next_code(secret)}
    )
    assert (await world.client.post(f"{SF}/disable", json={"code": "999999"})).status_code == 422
    assert (await world.client.get(SF)).json()["enabled"] is True
    # A recovery code does too (the app's codes of this window are spent on the sign-in).
    ok = await world.client.post(f"{SF}/disable", json={"code": codes[0]})
    assert ok.status_code == 200, ok.text
    assert (await world.client.get(SF)).json() == {"enabled": False, "recovery_codes_left": 0}
    assert "second_factor_disabled" in await _actions(world, world.users["lm_worker"].id)
    # Password alone signs in again.
    world.client.cookies.clear()
    r = await world.client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
    assert r.status_code == 200


async def test_a_required_tenant_refuses_password_only_tokens_and_sessions(world):
    await require_second_factor(world)
    persons = "/api/v1/t/low-moss/persons"
    # A token issued on a password alone.
    refused = await world.get("lm_worker", persons)
    assert refused.status_code == 403
    assert "second factor" in refused.json()["detail"]
    # A password-only session: the API says 403, a page sends the user to set it up.
    await world.client.post(LOGIN, json={"username": "lm_worker", "password": PASSWORD})
    assert (await world.client.get(persons)).status_code == 403
    world.client.follow_redirects = False
    page = await world.client.get("/t/low-moss/caseload")
    assert page.status_code in (302, 303)
    assert page.headers["location"].startswith("/second-factor?required=true")
    # Another partnership that does not require it is unaffected.
    assert (await world.get("lc_worker", "/api/v1/t/leicester/persons")).status_code == 200

    # Enrolment from that session passes it there and then ...
    world.client.follow_redirects = True
    secret = (await world.client.post(f"{SF}/enrol")).json()["secret"]
    confirmed = await world.client.post(f"{SF}/confirm", json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200
    assert (await world.client.get(persons)).status_code == 200
    # ... and a token issued with the code is accepted.
    world.client.cookies.clear()
    login = await world.client.post(
        LOGIN, json={"username": "lm_worker", "password": PASSWORD, "otp": next_code(secret)}
    )
    token = login.json()["token"]
    world.client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    assert (await world.client.get(persons, headers=headers)).status_code == 200


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def test_pages_enrol_then_sign_in_with_the_code(world):
    client = world.client
    client.follow_redirects = False
    page = await client.get("/sign-in")
    signed = await client.post(
        "/sign-in",
        data={
            "username": "lm_worker",
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert signed.status_code in (302, 303)
    manage = await client.get("/second-factor")
    assert manage.status_code == 200 and "Set up an authenticator app" in manage.text
    started = await client.post(
        "/second-factor/enrol", data={"_csrf_token": csrf_from(manage.text), "next": "/"}
    )
    assert started.status_code == 200
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', started.text).group(1)
    assert "<svg" in started.text
    wrong = await client.post(
        "/second-factor/confirm",
        data={"_csrf_token": csrf_from(started.text), "code": "000000", "next": "/"},
    )
    assert wrong.status_code == 400 and secret in wrong.text  # the same secret, shown again
    confirmed = await client.post(
        "/second-factor/confirm",
        data={"_csrf_token": csrf_from(wrong.text), "code": pyotp.TOTP(secret).now(), "next": "/"},
    )
    assert confirmed.status_code == 200
    assert len(re.findall(r"<li><code>[0-9a-f]{5}-[0-9a-f]{5}</code></li>", confirmed.text)) == 10

    await client.post("/sign-out", data={"_csrf_token": csrf_from(confirmed.text)})
    client.cookies.clear()
    page = await client.get("/sign-in")
    signed = await client.post(
        "/sign-in",
        data={
            "username": "lm_worker",
            "password": PASSWORD,
            "next": "/t/low-moss/caseload",
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert signed.status_code in (302, 303)
    assert signed.headers["location"].startswith("/sign-in/second-factor")
    # Password passed, code pending: not signed in yet.
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    form = await client.get(signed.headers["location"])
    assert form.status_code == 200
    bad = await client.post(
        "/sign-in/second-factor",
        data={
            "_csrf_token": csrf_from(form.text),
            "code": "111111",
            "next": "/t/low-moss/caseload",
        },
    )
    assert bad.status_code == 400 and "not right" in bad.text
    done = await client.post(
        "/sign-in/second-factor",
        data={
            "_csrf_token": csrf_from(bad.text),
            "code": next_code(secret),
            "next": "/t/low-moss/caseload",
        },
    )
    assert done.status_code in (302, 303) and done.headers["location"] == "/t/low-moss/caseload"
    assert (await client.get("/t/low-moss/caseload")).status_code == 200


@pytest.mark.parametrize("code", ["", "12345", "abcdefghijk"])
async def test_odd_codes_are_plain_failures(world, code):
    await enrol(world)
    body = {"username": "lm_worker", "password": PASSWORD, "otp": code}
    r = await world.client.post(LOGIN, json=body)
    assert r.status_code in (400, 401)
    assert "Traceback" not in r.text
