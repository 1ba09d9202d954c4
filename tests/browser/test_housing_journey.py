"""A housing officer moves a registration along on the housing board, in a real browser."""

from __future__ import annotations

import asyncio
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from core.accounts.models import Membership, User
from core.accounts.services import issue_token
from core.db.engine import make_engine, make_session_factory
from core.tenancy.models import Organisation, Tenant
from tests.browser.conftest import Seeded, api, axe_violations, screenshot, sign_in
from tests.conftest import make_settings

OFFICER = "lm_housing"
LM = "/api/v1/t/low-moss"


async def add_officer(db_file: Path, password_hash: str) -> str:
    """The housing sub-group's officer at Glasgow City Council, able to sign in."""
    from sqlalchemy import select

    settings = make_settings(f"sqlite+aiosqlite:///{db_file}", db_file.parent)
    engine = make_engine(settings.db)
    try:
        async with make_session_factory(engine)() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == "low-moss"))
            assert tenant is not None
            council = await session.scalar(
                select(Organisation).where(
                    Organisation.tenant_id == tenant.id,
                    Organisation.slug == "glasgow-city-council",
                )
            )
            assert council is not None
            user = User(username=OFFICER, display_name="Lm Housing", password_hash=password_hash)
            session.add(user)
            await session.flush()
            session.add(
                Membership(
                    tenant_id=tenant.id,
                    user_id=user.id,
                    organisation_id=council.id,
                    roles=["housing_officer"],
                )
            )
            issued = await issue_token(session, user, settings.security)
            await session.commit()
            return issued.token
    finally:
        await engine.dispose()


def open_record(base: str, token: str, person_id: str, authority_id: str) -> None:
    body = {"local_authority_id": authority_id, "needs": "One-bedroom tenancy near family."}
    path = f"{LM}/housing/persons/{person_id}"
    try:
        api(base, token, "POST", path, body)
    except urllib.error.HTTPError as exc:
        # Setting the liberation date may already have opened the record (its job ran).
        if exc.code != 409:
            raise
        api(base, token, "PATCH", path, body)


@pytest.fixture(scope="module")
def housing(
    server: Seeded, tmp_path_factory: pytest.TempPathFactory, password_hash: str
) -> dict[str, str]:
    """Two people due out within ten weeks, with a council registering before liberation
    and one registering only on the day; the officer's token is added to the server's."""
    # The browser server's database, made by the session fixture in its own temp folder.
    base = tmp_path_factory.getbasetemp()
    # pytest adds a "-current" style link to the newest numbered folder: count each once.
    found = sorted({p.resolve() for p in base.glob("browser-server*/throughcare.db")})
    assert len(found) == 1, found
    with ThreadPoolExecutor(max_workers=1) as pool:
        token = pool.submit(asyncio.run, add_officer(found[0], password_hash)).result()
    server.tokens[OFFICER] = token
    today = datetime.now(UTC).date()
    people: dict[str, str] = {}
    for given, family, number, days, council in (
        # 60 days with nothing started is amber; with the application in, green.
        ("Ewan", "Mackay", "LM100301", 60, "glasgow-city-council"),
        ("Rory", "Lennox", "LM100302", 20, "east-dunbartonshire-council"),
    ):
        person = api(
            server.base_url,
            server.tokens["lm_worker"],
            "POST",
            f"{LM}/persons",
            {
                "given_name": given,
                "family_name": family,
                "date_of_birth": "1988-05-17",
                "prison_number": number,
                "establishment": "HMP Low Moss",
                "liberation_date": (today + timedelta(days=days)).isoformat(),
            },
        )
        open_record(server.base_url, token, person["id"], server.organisations[council])
        people[family] = person["id"]
    return people


def test_a_housing_officer_moves_a_registration_along(
    page: Any, browser: Any, server: Seeded, housing: dict[str, str]
) -> None:
    sign_in(page, OFFICER)
    page.locator("#navigation").get_by_role("link", name="Housing board").click()
    expect(page.get_by_role("heading", name="Housing board", level=1)).to_be_visible()
    page.get_by_label("Weeks ahead").fill("10")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/housing/board?*weeks=10*")

    mackay = page.locator("tr", has=page.get_by_role("link", name="Mackay, Ewan"))
    expect(mackay).to_contain_text("Not started")
    expect(mackay.locator(".govuk-tag")).to_have_text("Amber")
    assert axe_violations(page) == []
    screenshot(page, "housing-board")

    # The next step is offered first and the date is today: one press moves it on.
    expect(mackay.get_by_label("Move to for Ewan Mackay")).to_have_value("application_submitted")
    mackay.get_by_role("button", name="Update registration for Ewan Mackay").click()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Registration for Ewan Mackay moved to application submitted")
    expect(banner).to_be_focused()
    mackay = page.locator("tr", has=page.get_by_role("link", name="Mackay, Ewan"))
    expect(mackay).to_contain_text("Application submitted")
    expect(mackay.locator(".govuk-tag")).to_have_text("Green")
    expect(mackay.get_by_label("Move to for Ewan Mackay")).to_have_value("registered")
    assert "weeks=10" in page.url  # htmx swapped the board in place: same address
    screenshot(page, "housing-board-moved")

    # East Dunbartonshire registers no one before the liberation day: the service says no.
    lennox = page.locator("tr", has=page.get_by_role("link", name="Lennox, Rory"))
    lennox.get_by_role("button", name="Update registration for Rory Lennox").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        "East Dunbartonshire Council registers people for housing only on their liberation day"
    )
    expect(page.get_by_label("Weeks ahead")).to_have_value("10")
    lennox = page.locator("tr", has=page.get_by_role("link", name="Lennox, Rory"))
    expect(lennox).to_contain_text("Not started")
    summary.get_by_role("link").click()
    expect(lennox.get_by_label("Day")).to_be_visible()  # the date is open beside the message
    assert axe_violations(page) == []
    screenshot(page, "housing-board-error")

    record = api(
        server.base_url, server.tokens[OFFICER], "GET", f"{LM}/housing/persons/{housing['Mackay']}"
    )
    assert record["status"] == "application_submitted"

    # Without JavaScript the form posts and the board comes back with its filters.
    context = browser.new_context(base_url=server.base_url, java_script_enabled=False)
    plain = context.new_page()
    try:
        sign_in(plain, OFFICER)
        plain.goto("/t/low-moss/housing/board?weeks=10")
        row = plain.locator("tr", has=plain.get_by_role("link", name="Mackay, Ewan"))
        row.get_by_role("button", name="Update registration for Ewan Mackay").click()
        plain.wait_for_url("**/housing/board?weeks=10*moved=*")
        expect(
            plain.get_by_text("Registration for Ewan Mackay moved to registered")
        ).to_be_visible()
        row = plain.locator("tr", has=plain.get_by_role("link", name="Mackay, Ewan"))
        expect(row).to_contain_text("Registered")
    finally:
        context.close()


def test_a_reader_sees_the_board_without_forms(page: Any, housing: dict[str, str]) -> None:
    sign_in(page, "lm_lead")
    page.goto("/t/low-moss/housing/board")
    lennox = page.locator("tr", has=page.get_by_role("link", name="Lennox, Rory"))
    expect(lennox.locator(".govuk-tag")).to_have_text("Amber")
    expect(page.locator("table form")).to_have_count(0)
    assert axe_violations(page) == []
