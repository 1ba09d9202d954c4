"""Memberships: invite (one-time link, hashed, expiring) or temporary password (works only
to choose a password, once), roles and organisation, deactivation now (sessions and tokens
end at once) or on a date, the last-lead guard, the access review; bad input and other
tenants refused."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select, update

from core import clock
from core.accounts.models import User
from core.administration.jobs import end_scheduled_memberships
from core.administration.models import Invitation
from core.db.base import utcnow
from core.db.engine import make_engine, make_session_factory
from tests.conftest import PASSWORD

LM = "/api/v1/t/low-moss/admin"
NEW_PASSWORD = "a new and long enough password"


async def in_db(world, fn):
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            return await fn(session)
    finally:
        await engine.dispose()


def body(**over):
    return {
        "username": "sacro.new",
        "display_name": "Sam New",
        "email": "sam@example.org",
        "organisation_id": None,
        "roles": ["case_worker"],
        "how": "invite",
    } | over


async def invite(world, **over):
    data = body(organisation_id=world.org_id("low-moss", "sacro")) | over
    response = await world.post("lm_lead", f"{LM}/members", data)
    return response


async def sign_in(world, username, password):
    return await world.client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def welcome(world, path, password=NEW_PASSWORD, confirm=None):
    page = await world.client.get(path)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    form = {"password": password, "confirm": confirm or password}
    if token:
        form["_csrf_token"] = token.group(1)
    return page, await world.client.post(path, data=form, follow_redirects=False)


async def test_an_invited_worker_chooses_a_password_through_the_link_once(world):
    response = await invite(world)
    assert response.status_code == 201, response.text
    created = response.json()
    member, url = created["member"], created["invitation_url"]
    assert member["invitation_pending"] and member["organisation_name"] == "Sacro"
    assert url.startswith("/t/low-moss/welcome/")
    token = url.rsplit("/", 1)[1]
    # Only the token's digest is stored; nobody can sign in before choosing a password.
    rows = await in_db(world, lambda s: s.scalars(select(Invitation)))
    hashes = [r.secret_hash for r in rows.all()]
    assert hashes == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in str(hashes)

    page, chosen = await welcome(world, url)
    assert page.status_code == 200 and "Sam New" in page.text
    assert chosen.status_code in (302, 303), chosen.text
    assert chosen.headers["location"] == "/t/low-moss/caseload"
    # The page session is signed in as the new worker.
    me = await world.client.get("/t/low-moss/caseload")
    assert me.status_code == 200
    assert (await sign_in(world, "sacro.new", NEW_PASSWORD)).status_code == 200
    # Used once: the link no longer works.
    world.client.cookies.clear()
    again, refused = await welcome(world, url, "another long password here")
    assert again.status_code == 404 and refused.status_code in (403, 404)
    assert (await sign_in(world, "sacro.new", "another long password here")).status_code == 401
    shown = (await world.get("lm_lead", f"{LM}/members/{member['id']}")).json()
    assert shown["invitation_pending"] is False
    history = (await world.get("lm_lead", f"{LM}/members/{member['id']}/history")).json()
    assert [h["action"] for h in history] == ["accept_invitation", "create"]


async def test_an_expired_or_wrong_link_does_not_work(world):
    created = (await invite(world)).json()
    url = created["invitation_url"]
    assert (await world.client.get(url + "x")).status_code == 404
    assert (await world.client.get(url.replace("low-moss", "leicester"))).status_code == 404
    await in_db(
        world,
        lambda s: _commit(s, update(Invitation).values(expires_at=utcnow() - timedelta(1))),
    )
    assert (await world.client.get(url)).status_code == 404


async def _commit(session, statement):
    await session.execute(statement)
    await session.commit()


async def test_a_weak_or_mismatched_password_is_refused_and_the_link_kept(world):
    url = (await invite(world)).json()["invitation_url"]
    _, short = await welcome(world, url, "short")
    assert short.status_code == 400 and "at least 12 characters" in short.text
    _, mismatch = await welcome(world, url, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    assert NEW_PASSWORD not in mismatch.text
    _, ok = await welcome(world, url)
    assert ok.status_code in (302, 303)


async def test_a_temporary_password_only_lets_them_choose_their_own(world):
    response = await invite(world, how="temporary_password", email=None, username="temp.one")
    assert response.status_code == 201, response.text
    temporary = response.json()["temporary_password"]
    assert temporary and response.json()["invitation_url"] is None
    # It is not a password: sign-in with it fails.
    assert (await sign_in(world, "temp.one", temporary)).status_code == 401
    page = await world.client.get("/first-sign-in")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)

    async def first(temp, username="temp.one"):
        return await world.client.post(
            "/first-sign-in",
            data={
                "username": username,
                "temporary": temp,
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
                "_csrf_token": token,
            },
            follow_redirects=False,
        )

    async def failures():
        return await in_db(
            world,
            lambda s: s.scalar(select(User.failed_logins).where(User.username == "temp.one")),
        )

    before = await failures()
    wrong = await first("wrong-wron-gwro-ngwr")
    assert wrong.status_code == 400 and "exactly as you were given" in wrong.text
    # A wrong temporary password counts towards the lock-out like a wrong password.
    assert await failures() == before + 1
    assert (await first(temporary, username="lm_worker")).status_code == 400
    ok = await first(temporary)
    assert ok.status_code in (302, 303), ok.text
    assert (await sign_in(world, "temp.one", NEW_PASSWORD)).status_code == 200
    # Once only.
    assert (await first(temporary)).status_code == 400


async def test_bad_input_is_refused_naming_the_field(world):
    sacro = world.org_id("low-moss", "sacro")
    cases = [
        (body(organisation_id=sacro, username="Has Spaces"), 400, "username"),
        (body(organisation_id=sacro, email="not-an-email"), 400, "email"),
        (body(organisation_id=sacro, roles=[]), 400, "roles"),
        (body(organisation_id="not-a-uuid"), 400, "organisation_id"),
        (body(organisation_id=sacro, how="telepathy"), 400, "how"),
        (body(organisation_id=sacro, email=None), 422, "email"),
        (body(organisation_id=sacro, roles=["wizard"]), 422, "roles"),
        (body(organisation_id=world.org_id("leicester", "turning-point")), 422, "organisation_id"),
        (body(organisation_id=sacro, username="lm_worker"), 422, "username"),
    ]
    for data, status, field in cases:
        response = await world.post("lm_lead", f"{LM}/members", data)
        assert response.status_code == status, (data, response.text)
        assert field in response.text, (data, response.text)
    members = (await world.get("lm_lead", f"{LM}/members")).json()
    assert "sacro.new" not in [m["username"] for m in members]


async def test_roles_and_organisation_change_and_the_worker_sees_the_effect(world):
    members = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    worker = members["lm_worker"]
    sacro = world.org_id("low-moss", "sacro")
    response = await world.patch(
        "lm_lead", f"{LM}/members/{worker['id']}", {"roles": ["analyst"], "organisation_id": sacro}
    )
    assert response.status_code == 200, response.text
    assert (
        response.json()["roles"] == ["analyst"] and response.json()["organisation_name"] == "Sacro"
    )
    me = (await world.get("lm_worker", "/api/v1/auth/me")).json()
    assert me["memberships"][0]["roles"] == ["analyst"]
    assert me["memberships"][0]["organisation"] == "sacro"
    # The analyst sees no person at all: the change took effect on the next request.
    persons = await world.get("lm_worker", "/api/v1/t/low-moss/persons")
    assert persons.json()["items"] == []
    history = (await world.get("lm_lead", f"{LM}/members/{worker['id']}/history")).json()
    assert history[0]["detail"]["roles_to"] == "analyst"
    assert history[0]["detail"]["organisation_from"] == "Turning Point Scotland"
    for data in (
        {"roles": ["wizard"]},
        {"organisation_id": world.org_id("leicester", "turning-point")},
    ):
        assert (
            await world.patch("lm_lead", f"{LM}/members/{worker['id']}", data)
        ).status_code == 422
    assert (
        await world.patch("lm_lead", f"{LM}/members/{worker['id']}", {"roles": "x"})
    ).status_code == 400


async def test_the_last_lead_cannot_remove_their_own_lead_role_or_leave(world):
    members = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    lead = members["lm_lead"]
    response = await world.patch(
        "lm_lead", f"{LM}/members/{lead['id']}", {"roles": ["case_worker"]}
    )
    assert response.status_code == 422 and "at least one partnership lead" in response.text
    response = await world.post("lm_lead", f"{LM}/members/{lead['id']}/deactivate", {})
    assert response.status_code == 422 and "your own membership" in response.text


async def test_deactivation_ends_sessions_and_tokens_at_once(world):
    members = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    sacro = members["lm_sacro"]
    # An open page session (signed in through the page) and the bearer token.
    page = await world.client.get("/sign-in")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    signed = await world.client.post(
        "/sign-in",
        data={"username": "lm_sacro", "password": PASSWORD, "_csrf_token": csrf},
        follow_redirects=False,
    )
    assert signed.status_code in (302, 303)
    assert (await world.client.get("/t/low-moss/caseload")).status_code == 200
    assert (await world.get("lm_sacro", "/api/v1/auth/me")).status_code == 200

    response = await world.post("lm_lead", f"{LM}/members/{sacro['id']}/deactivate", {})
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False

    assert (await world.get("lm_sacro", "/api/v1/auth/me")).status_code == 401
    ended = await world.client.get("/t/low-moss/caseload", follow_redirects=False)
    assert ended.status_code in (302, 303) and ended.headers["location"].startswith("/sign-in")
    again = await world.post("lm_lead", f"{LM}/members/{sacro['id']}/deactivate", {})
    assert again.status_code == 409
    listed = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    assert listed["lm_sacro"]["is_active"] is False
    assert (
        await world.patch("lm_lead", f"{LM}/members/{sacro['id']}", {"roles": ["analyst"]})
    ).status_code == 409


async def test_deactivation_on_a_date_waits_for_the_date(world):
    members = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    nurse = members["lm_nurse"]
    on = clock.today() + timedelta(days=3)
    response = await world.post(
        "lm_lead", f"{LM}/members/{nurse['id']}/deactivate", {"on": on.isoformat()}
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] and response.json()["deactivate_on"] == on.isoformat()
    assert (await world.get("lm_nurse", "/api/v1/t/low-moss/persons")).status_code == 200

    factory_engine = make_engine(world.settings.db)
    ctx = {"session_factory": make_session_factory(factory_engine), "settings": world.settings}
    tenant_id = str(world.tenants["low-moss"].id)
    try:
        assert await end_scheduled_memberships(ctx, tenant_id) == 0
        with clock.moved(to=on - timedelta(days=1)):
            assert await end_scheduled_memberships(ctx, tenant_id) == 0
        assert (await world.get("lm_nurse", "/api/v1/t/low-moss/persons")).status_code == 200
        with clock.moved(to=on):
            assert await end_scheduled_memberships(ctx, tenant_id) == 1
            assert await end_scheduled_memberships(ctx, tenant_id) == 0  # idempotent
    finally:
        await factory_engine.dispose()
    assert (await world.get("lm_nurse", "/api/v1/auth/me")).status_code == 401
    shown = (await world.get("lm_lead", f"{LM}/members/{nurse['id']}")).json()
    assert shown["is_active"] is False and shown["deactivate_on"] is None
    history = (await world.get("lm_lead", f"{LM}/members/{nurse['id']}/history")).json()
    assert [h["action"] for h in history] == ["deactivate", "schedule_deactivation"]
    assert history[0]["by"] is None


async def test_the_access_review_flags_accounts_unused_for_ninety_days(world):
    await in_db(
        world,
        lambda s: _commit(
            s,
            update(User)
            .where(User.username == "lm_nurse")
            .values(last_login_at=clock.now() - timedelta(days=91)),
        ),
    )
    await in_db(
        world,
        lambda s: _commit(
            s,
            update(User)
            .where(User.username == "lm_officer")
            .values(last_login_at=clock.now() - timedelta(days=89)),
        ),
    )
    members = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    analyst = members["lm_analyst"]["id"]
    assert (
        await world.post("lm_lead", f"{LM}/members/{analyst}/deactivate", {})
    ).status_code == 200
    review = (await world.get("lm_lead", f"{LM}/access-review")).json()
    rows = {r["member"]["username"]: r for r in review["rows"]}
    assert review["unused_days"] == 90
    assert "lm_analyst" not in rows  # no access left to review
    assert rows["lm_nurse"]["unused"] is True
    assert rows["lm_officer"]["unused"] is False
    assert rows["lm_worker"]["unused"] is True  # never signed in
    assert "lc_worker" not in rows and "admin" not in rows
    # Thirty days on, the officer's account is unused too.
    with clock.moved(timedelta(days=30)):
        later = (await world.get("lm_lead", f"{LM}/access-review")).json()
    assert {r["member"]["username"]: r for r in later["rows"]}["lm_officer"]["unused"] is True
    assert (await world.get("lm_worker", f"{LM}/access-review")).status_code == 403


async def test_members_of_other_tenants_are_not_found(world):
    leicester = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    assert "lc_worker" not in leicester
    # The id of a Leicester membership, asked under Low Moss.
    other = await in_db(world, _leicester_membership)
    for method, url, data in (
        ("GET", f"{LM}/members/{other}", None),
        ("GET", f"{LM}/members/{other}/history", None),
        ("PATCH", f"{LM}/members/{other}", {"roles": ["case_worker"]}),
        ("POST", f"{LM}/members/{other}/deactivate", {}),
        ("POST", f"{LM}/members/{other}/invitation", {"how": "invite"}),
    ):
        response = await world.client.request(method, url, json=data, headers=world.auth("lm_lead"))
        assert response.status_code == 404, (method, url, response.text)
    assert (await world.get("lc_worker", "/api/v1/auth/me")).status_code == 200
    assert (await world.get("lm_lead", "/api/v1/t/leicester/admin/members")).status_code == 404
    for who in ("lm_worker", "lm_sacro"):
        assert (await world.get(who, f"{LM}/members")).status_code == 403
        assert (
            await invite(world)
            if who == "lm_lead"
            else await world.post(who, f"{LM}/members", body())
        ).status_code in (400, 403)


async def _leicester_membership(session):
    from core.accounts.models import Membership

    return await session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(User.username == "lc_worker")
    )


async def test_a_new_invitation_replaces_the_old_one(world):
    created = (await invite(world)).json()
    member = created["member"]["id"]
    response = await world.post(
        "lm_lead", f"{LM}/members/{member}/invitation", {"how": "temporary_password"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["temporary_password"]
    assert (await world.client.get(created["invitation_url"])).status_code == 404
    _, ok = await welcome(
        world,
        (await world.post("lm_lead", f"{LM}/members/{member}/invitation", {})).json()[
            "invitation_url"
        ],
    )
    assert ok.status_code in (302, 303)
    done = await world.post("lm_lead", f"{LM}/members/{member}/invitation", {})
    assert done.status_code == 409
