"""What a page carries for paper: the protective marking, who printed it and when (from the
partnership clock, in UK time), and the print stylesheet that shows them (issue 12).

The browser test (tests/browser/test_small_screens.py) checks what is visible in print; this
one checks what each page is served with, on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from core import clock
from tests.conftest import PASSWORD

PAGES = "/t/low-moss"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')

BANNER = re.compile(
    r'<div class="app-print-only app-print-banner" id="print-banner">(.*?)</div>', re.S
)
PRINTED_BY = re.compile(r'<p class="app-printed-by"[^>]*>(.*?)</p>', re.S)
TAGS = re.compile(r"<[^>]+>")


def banner(html: str) -> str:
    match = BANNER.search(html)
    assert match, "the page has no print banner"
    return match.group(1)


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def sign_in(world: Any, username: str) -> Any:
    page = await world.client.get("/sign-in")
    token = CSRF.search(page.text)
    assert token, "the sign-in page has no CSRF field"
    return await world.client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "_csrf_token": token.group(1)},
    )


async def add_person(world: Any, given: str, family: str, number: str) -> str:
    body = {"given_name": given, "family_name": family, "date_of_birth": "1985-02-03"}
    response = await world.post(
        "lm_worker", "/api/v1/t/low-moss/persons", body | {"prison_number": number}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_printed_record_names_who_printed_it_and_when(world: Any) -> None:
    person = await add_person(world, "Isla", "Printwell", "LM177001")
    assert (await sign_in(world, "lm_worker")).status_code in (302, 303)
    # 13:05 UTC in July is 2:05pm in the UK (BST): the line is in the reader's civil time,
    # from the partnership clock a demo can move, not the server's wall clock.
    with clock.moved(to=datetime(2026, 7, 15, 13, 5, tzinfo=UTC)):
        page = await world.client.get(f"{PAGES}/persons/{person}")
    assert page.status_code == 200, page.text
    text = banner(page.text)
    assert '<p class="app-protective-marking">OFFICIAL-SENSITIVE</p>' in text
    printed = PRINTED_BY.search(text)
    assert printed, text
    assert TAGS.sub("", printed.group(1)) == (
        "Printed by Lm Worker, Low Moss Public Social Partnership on 15 July 2026 at 2:05pm"
    )
    # The time is machine-readable too, for print-time.js to move on if printed later.
    assert '<time datetime="2026-07-15T13:05:' in printed.group(1)
    # The marking closes the page too, and the print stylesheet is linked for print only.
    assert 'id="print-footer"' in page.text
    assert '<link rel="stylesheet" href="/static/print.css" media="print">' in page.text


@pytest.mark.parametrize("path", ["/caseload", "/tasks", "/meeting"])
async def test_every_signed_in_page_is_marked_with_its_printer(world: Any, path: str) -> None:
    assert (await sign_in(world, "lm_officer")).status_code in (302, 303)
    page = await world.client.get(PAGES + path)
    assert page.status_code == 200, page.text
    text = banner(page.text)
    assert "OFFICIAL-SENSITIVE" in text
    assert "Printed by Lm Officer" in text


async def test_a_page_before_sign_in_is_marked_but_names_nobody(world: Any) -> None:
    page = await world.client.get("/sign-in")
    assert page.status_code == 200
    text = banner(page.text)
    assert "OFFICIAL-SENSITIVE" in text
    assert "Printed by" not in text


async def test_the_print_stylesheet_marks_every_sheet_and_drops_the_chrome(world: Any) -> None:
    css = await world.client.get("/static/print.css")
    assert css.status_code == 200
    page_rule = re.search(r"@page\s*\{(.*?)\n\}", css.text, re.S)
    assert page_rule, "print.css has no @page rule"
    assert page_rule.group(1).count('content: "OFFICIAL-SENSITIVE"') == 2  # top and bottom
    hidden = re.search(r"([^{}]*)\{\s*display:\s*none !important;\s*\}", css.text)
    assert hidden, "print.css hides nothing"
    for chrome in (".govuk-header", ".govuk-service-navigation", ".govuk-footer", ".govuk-button"):
        assert chrome in hidden.group(1), chrome
    # On screen the marking is not shown: app.css keeps the print-only parts out of view.
    screen = await world.client.get("/static/app.css")
    assert re.search(r"\.app-print-only\s*\{\s*display:\s*none;\s*\}", screen.text)
