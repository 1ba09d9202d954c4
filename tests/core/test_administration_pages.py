"""The lead's administration pages: lead only (the plain 403 page), another tenant's ids
"not found", errors in the summary with what was typed kept, the temporary-password
confirmation, the deactivation confirmation and its date, the access review."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from core import clock
from tests.core.test_web import csrf_from, sign_in

ADMIN = "/t/low-moss/admin"
API = "/api/v1/t/low-moss/admin"


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def form_post(world: Any, url: str, data: dict[str, Any]) -> Any:
    page = await world.client.get(url)
    assert page.status_code == 200, page.text
    return await world.client.post(url, data={**data, "_csrf_token": csrf_from(page.text)})


async def member_id(world: Any, username: str) -> str:
    members = (await world.get("lm_lead", f"{API}/members")).json()
    return next(m["id"] for m in members if m["username"] == username)


async def test_only_the_lead_sees_the_pages_and_the_link(world: Any) -> None:
    await sign_in(world, "lm_worker")
    caseload = await world.client.get("/t/low-moss/caseload")
    assert 'href="/t/low-moss/admin"' not in caseload.text
    for url in (ADMIN, f"{ADMIN}/organisations", f"{ADMIN}/members", f"{ADMIN}/access-review"):
        response = await world.client.get(url)
        assert response.status_code == 403, url
        assert "You do not have permission" in response.text
    world.client.cookies.clear()
    await sign_in(world, "lm_lead")
    caseload = await world.client.get("/t/low-moss/caseload")
    assert 'href="/t/low-moss/admin"' in caseload.text
    index = await world.client.get(ADMIN)
    assert index.status_code == 200 and "Access review" in index.text
    # Another partnership's pages, and its ids here: not found.
    assert (await world.client.get("/t/leicester/admin/members")).status_code == 404
    other = world.org_id("leicester", "turning-point")
    assert (await world.client.get(f"{ADMIN}/organisations/{other}")).status_code == 404


async def test_the_organisation_form_shows_errors_and_keeps_what_was_typed(world: Any) -> None:
    await sign_in(world, "lm_lead")
    response = await form_post(
        world, f"{ADMIN}/organisations/new", {"name": "Sacro", "kind": "nhs"}
    )
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert "already has an organisation called Sacro" in response.text
    assert 'value="Sacro"' in response.text and 'value="nhs" checked' in response.text
    response = await form_post(world, f"{ADMIN}/organisations/new", {"name": "Hope Street"})
    assert response.status_code == 400 and "Select what kind of organisation" in response.text
    assert 'value="Hope Street"' in response.text
    added = await form_post(
        world, f"{ADMIN}/organisations/new", {"name": "Hope Street", "kind": "local_authority"}
    )
    assert added.status_code in (302, 303)
    page = await world.client.get(added.headers["location"])
    assert "Hope Street has been added" in page.text and "Local authority" in page.text
    assert "Added" in page.text  # its history


async def test_a_temporary_password_is_shown_once_with_where_to_use_it(world: Any) -> None:
    await sign_in(world, "lm_lead")
    data = {
        "display_name": "Pat Temp",
        "username": "pat.temp",
        "organisation_id": world.org_id("low-moss", "sacro"),
        "roles": ["case_worker", "peer_mentor"],
        "how": "temporary_password",
    }
    response = await form_post(world, f"{ADMIN}/members/new", data)
    assert response.status_code == 201, response.text
    shown = re.search(r'id="temporary-password">([^<]+)<', response.text)
    assert shown and len(shown.group(1)) == 19
    assert "/first-sign-in" in response.text
    member = (await world.client.get(f"{ADMIN}/members/{await member_id(world, 'pat.temp')}")).text
    assert shown.group(1) not in member and "Invited" in member
    assert "Case worker" in member and "Peer mentor" in member


async def test_a_member_form_with_errors_keeps_roles_ticked(world: Any) -> None:
    await sign_in(world, "lm_lead")
    roles = ["nhs_nurse", "analyst"]
    data = {"display_name": "Al", "username": "BAD NAME", "roles": roles, "how": "invite"}
    response = await form_post(world, f"{ADMIN}/members/new", data)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert re.search(r'value="nhs_nurse" checked', response.text)
    assert re.search(r'value="analyst" checked', response.text)
    assert not re.search(r'value="case_worker" checked', response.text)
    assert 'value="Al"' in response.text


async def test_deactivation_asks_when_and_checks_the_date(world: Any) -> None:
    await sign_in(world, "lm_lead")
    officer = await member_id(world, "lm_officer")
    url = f"{ADMIN}/members/{officer}/deactivate"
    confirm = await world.client.get(url)
    assert confirm.status_code == 200 and "When does their access end?" in confirm.text
    response = await form_post(world, url, {"when": "date", "on-day": "31", "on-month": "2"})
    assert response.status_code == 400 and "must be a real date" in response.text
    response = await form_post(world, url, {})
    assert response.status_code == 400 and "Select when their access ends" in response.text
    later = clock.today() + timedelta(days=10)
    response = await form_post(
        world,
        url,
        {"when": "date", "on-day": later.day, "on-month": later.month, "on-year": later.year},
    )
    assert response.status_code in (302, 303), response.text
    page = (await world.client.get(f"{ADMIN}/members/{officer}")).text
    assert "Active until" in page
    # Their access continues until then.
    assert (await world.get("lm_officer", "/api/v1/t/low-moss/persons")).status_code == 200
    response = await form_post(world, url, {"when": "now"})
    assert response.status_code in (302, 303)
    assert "Deactivated" in (await world.client.get(f"{ADMIN}/members/{officer}")).text
    assert (await world.get("lm_officer", "/api/v1/auth/me")).status_code == 401


async def test_the_access_review_page_flags_the_unused(world: Any) -> None:
    await sign_in(world, "lm_lead")
    page = await world.client.get(f"{ADMIN}/access-review")
    assert page.status_code == 200
    assert "Unused 90 days" in page.text  # members who never signed in
    assert "Lm Lead" in page.text and "Lc Worker" not in page.text
