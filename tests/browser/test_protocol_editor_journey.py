"""The lead changes who sees what through the matrix, in the browser: the preview counts
people per organisation, a publish takes effect for another partner at once, and a
widening past the partnership's threshold waits for a second lead."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from core.accounts.models import Membership, User
from core.tenancy.models import Organisation, Tenant
from tests.browser.conftest import Seeded, api, axe_violations, screenshot, sign_in

LM = "/api/v1/t/low-moss"
HEALTH_READ = "Case workers (Sacro and Turning Point Scotland): can read Health"


def server_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The browser server's SQLite file (the server fixture makes it under this run's temp)."""
    found = sorted(tmp_path_factory.getbasetemp().glob("browser-server[0-9]*/throughcare.db"))
    assert len(found) == 1, found
    return found[0]


def set_threshold(db: Path, share: float | None) -> None:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with Session(engine) as session:
            tenant = session.scalars(select(Tenant).where(Tenant.slug == "low-moss")).one()
            config = {k: v for k, v in tenant.config.items() if k != "protocol_approval_threshold"}
            if share is not None:
                config["protocol_approval_threshold"] = share
            session.execute(update(Tenant).where(Tenant.id == tenant.id).values(config=config))
            session.commit()
    finally:
        engine.dispose()


def ensure_second_lead(db: Path, password_hash: str) -> str:
    username = "lm_lead_two"
    engine = create_engine(f"sqlite:///{db}")
    try:
        with Session(engine) as session:
            if session.scalars(select(User).where(User.username == username)).first():
                return username
            tenant = session.scalars(select(Tenant).where(Tenant.slug == "low-moss")).one()
            organisation = session.scalars(
                select(Organisation).where(
                    Organisation.tenant_id == tenant.id,
                    Organisation.slug == "turning-point-scotland",
                )
            ).one()
            user = User(
                id=uuid.uuid4(),
                username=username,
                display_name="Second Lead",
                password_hash=password_hash,
                is_platform_admin=False,
            )
            session.add(user)
            session.flush()
            session.add(
                Membership(
                    tenant_id=tenant.id,
                    user_id=user.id,
                    organisation_id=organisation.id,
                    roles=["partnership_lead"],
                )
            )
            session.commit()
    finally:
        engine.dispose()
    return username


@pytest.fixture
def restored(server: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The server's database; the template protocol and threshold put back afterwards."""
    token = server.tokens["lm_lead"]
    rules: str = api(server.base_url, token, "GET", f"{LM}/protocol")["rules"]
    db = server_db(tmp_path_factory)
    yield db
    set_threshold(db, None)
    if api(server.base_url, token, "GET", f"{LM}/protocol")["rules"] != rules:
        api(
            server.base_url,
            token,
            "POST",
            f"{LM}/protocol",
            {"rules": rules, "reason": "Back to the template after the browser journey"},
        )


def health_row(tab: Any) -> Any:
    return tab.locator("#shared ~ dl .govuk-summary-list__row", has_text="Health")


def check_page(tab: Any, name: str) -> None:
    tab.wait_for_load_state("networkidle")
    screenshot(tab, name)
    violations = axe_violations(tab)
    assert violations == [], f"{name}: {violations}"


def widen_health(page: Any, reason: str) -> None:
    page.get_by_role("link", name="Sharing protocol").first.click()
    page.locator("a.govuk-button", has_text="Change who can see what").click()
    # The editor opens on one category; the lead moves to Health.
    page.get_by_role("navigation", name="Information to change").get_by_role(
        "link", name="Health", exact=True
    ).click()
    page.get_by_label(HEALTH_READ, exact=True).select_option(label="Everyone in the partnership")
    page.get_by_role("button", name="Preview the effect").click()
    effect = page.locator("section[aria-labelledby=effect]")
    expect(effect.get_by_text(re.compile(r"^This change lets \d+ users? in \d+ "))).to_contain_text(
        "read Health for"
    )
    expect(effect).to_contain_text(
        "Case workers (Sacro and Turning Point Scotland) can now read Health for everyone in "
        "the partnership"
    )
    reach = effect.get_by_role("table", name=re.compile("People reached per organisation"))
    expect(reach.get_by_role("row", name=re.compile("^Sacro"))).to_contain_text(
        re.compile(r"0 of (\d+)\s+\1 of \1")
    )
    # The choice survives the preview.
    expect(page.get_by_label(HEALTH_READ, exact=True)).to_have_value("partnership/-")
    page.get_by_label("Why are you changing the protocol?").fill(reason)


def test_the_lead_grants_health_through_the_matrix_and_sacro_sees_it(
    page: Any, browser: Any, server: Seeded, restored: Path
) -> None:
    set_threshold(restored, 1.0)  # this journey is not about the second lead
    person = f"/t/low-moss/persons/{server.persons['Healey']}"
    sacro_context = browser.new_context(base_url=server.base_url)
    sacro = sacro_context.new_page()
    try:
        sign_in(sacro, "lm_sacro")
        sacro.goto(person)
        expect(health_row(sacro)).to_contain_text("Not shared with your organisation")

        sign_in(page, "lm_lead")
        page.get_by_role("link", name="Sharing protocol").first.click()
        expect(page.get_by_role("table", name="Health")).to_contain_text(
            "People they are assigned to, with consent"
        )
        check_page(page, "protocol-matrix")
        page.goto("/t/low-moss/caseload")
        widen_health(page, "Key workers need health for liberation planning")
        check_page(page, "protocol-matrix-preview")
        page.get_by_role("button", name="Publish").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            re.compile(r"Version \d+ published")
        )
        expect(page.get_by_role("table", name="Health")).to_contain_text(
            "Everyone in the partnership"
        )
        page.get_by_role("link", name="Version history").first.click()
        page.get_by_role("link", name=re.compile("See changes")).first.click()
        expect(page.locator("#changes")).to_contain_text(
            "can now read Health for everyone in the partnership"
        )
        check_page(page, "protocol-diff-sentences")

        sacro.goto(person)
        expect(health_row(sacro)).not_to_contain_text("Not shared with your organisation")
        expect(sacro.get_by_text("Started a reducing regime")).to_be_visible()
    finally:
        sacro_context.close()


def test_a_widening_past_half_waits_for_a_second_lead(
    page: Any, browser: Any, server: Seeded, restored: Path, password_hash: str
) -> None:
    second = ensure_second_lead(restored, password_hash)
    person = f"/t/low-moss/persons/{server.persons['Healey']}"
    sign_in(page, "lm_lead")
    widen_health(page, "Health for everyone, agreed at the board")
    expect(page.locator("#second-lead")).to_contain_text("waits until another partnership lead")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Your change waits for a second lead")).to_be_visible()
    expect(page.locator("#widening")).to_contain_text("Sacro would read Health for")
    expect(page.get_by_role("button", name="Confirm decision")).to_have_count(0)
    check_page(page, "protocol-approval-waiting")

    other_context = browser.new_context(base_url=server.base_url)
    other = other_context.new_page()
    sacro_context = browser.new_context(base_url=server.base_url)
    sacro = sacro_context.new_page()
    try:
        sign_in(sacro, "lm_sacro")
        sacro.goto(person)
        expect(health_row(sacro)).to_contain_text("Not shared with your organisation")

        sign_in(other, second)
        other.goto("/t/low-moss/protocol/approvals")
        check_page(other, "protocol-approvals")
        other.get_by_role("link", name=re.compile("^Review")).first.click()
        other.get_by_role("button", name="Confirm decision").click()
        expect(other.locator(".govuk-error-summary")).to_be_focused()
        check_page(other, "protocol-approval-errors")
        other.get_by_label("Approve and publish it now").check()
        other.get_by_label("Note for the record").fill("Agreed at the partnership board")
        other.get_by_role("button", name="Confirm decision").click()
        expect(other.locator(".govuk-notification-banner--success")).to_contain_text(
            re.compile(r"Version \d+ published")
        )
        sacro.goto(person)
        expect(health_row(sacro)).not_to_contain_text("Not shared with your organisation")
    finally:
        other_context.close()
        sacro_context.close()
