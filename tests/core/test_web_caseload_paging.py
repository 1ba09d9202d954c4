"""The HTML caseload pages by keyset (core.persons.caseload_page): following Next from the
first page returns every visible person once, in the chosen sort; Previous walks back to
the same pages; the links keep the filters; the count is bounded."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from core import clock
from core.persons import caseload_page
from tests.core.test_web import LM, PAGES, sign_in

ROW = re.compile(r'href="/t/low-moss/persons/([0-9a-f-]{36})">([^<]+)</a>')
NEXT = re.compile(r'href="([^"]+)" rel="next"')
PREVIOUS = re.compile(r'href="([^"]+)" rel="prev"')


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch, world: Any) -> None:
    monkeypatch.setattr(caseload_page, "PAGE_SIZE", 4)
    world.client.follow_redirects = False


async def people(world: Any) -> None:
    """Eleven people: family names that share a prefix, some with no prison number, dates
    ahead, one past and some missing."""
    today = clock.today()
    for i in range(11):
        body: dict[str, Any] = {
            "given_name": f"Given{i:02d}",
            "family_name": ("Pager", "Pagett", "Paget")[i % 3],
            "date_of_birth": "1985-02-03",
        }
        if i % 4:
            body["prison_number"] = f"P{(i * 37) % 100:03d}"
        if i % 3 != 2:
            body["liberation_date"] = (today + timedelta(days=(i * 7) % 40)).isoformat()
        if i == 4:
            body["liberation_date"] = (today - timedelta(days=3)).isoformat()
        response = await world.post("lm_worker", f"{LM}/persons", body)
        assert response.status_code == 201, response.text


async def expected(world: Any, sort: str) -> list[str]:
    """Everyone the worker sees through the API, in the page's order for ``sort``."""
    items = await world.get("lm_worker", f"{LM}/persons", params={"q": "pag", "limit": 200})
    rows = items.json()["items"]
    today = clock.today().isoformat()

    def name(p: dict[str, Any]) -> tuple[str, str]:
        return (f"{p['family_name']} {p['given_name']}".lower(), p["id"])

    if sort == "liberation":

        def key(p: dict[str, Any]) -> Any:
            date = p["liberation_date"]
            upcoming = date is not None and date >= today
            return (0 if upcoming else 1, date if upcoming else "", *name(p))
    elif sort == "prison_number":

        def key(p: dict[str, Any]) -> Any:
            number = p["prison_number"]
            return (number is None, number or "", *name(p))
    else:
        key = name
    return [p["id"] for p in sorted(rows, key=key)]


async def walk(world: Any, first: str) -> tuple[list[list[str]], list[str]]:
    """Follow Next from ``first``: the pages' person ids, and each page's address."""
    pages, urls, url = [], [], first
    while url:
        response = await world.client.get(url if url.startswith("/") else f"{PAGES}/caseload{url}")
        assert response.status_code == 200
        urls.append(url)
        pages.append([pid for pid, _ in ROW.findall(response.text)])
        found = NEXT.search(response.text)
        url = found.group(1).replace("&amp;", "&") if found else ""
        assert len(pages) < 20, "paging does not end"
    return pages, urls


@pytest.mark.parametrize("sort", ["name", "liberation", "prison_number"])
async def test_next_returns_every_person_once_in_order(world: Any, sort: str) -> None:
    await people(world)
    await sign_in(world, "lm_worker")
    pages, urls = await walk(world, f"{PAGES}/caseload?people=all&q=pag&sort={sort}")
    assert len(pages) == 3 and all(len(page) == 4 for page in pages[:2])
    assert [pid for page in pages for pid in page] == await expected(world, sort)
    # Every link keeps the search, the list and the sort.
    for url in urls[1:]:
        assert "q=pag" in url and "people=all" in url and f"sort={sort}" in url
    # Previous from the last page walks back through the same pages.
    back: list[list[str]] = []
    response = await world.client.get(f"{PAGES}/caseload{urls[-1]}")
    while found := PREVIOUS.search(response.text):
        response = await world.client.get(f"{PAGES}/caseload{found.group(1).replace('&amp;', '&')}")
        back.insert(0, [pid for pid, _ in ROW.findall(response.text)])
    assert back == pages[:-1]


async def test_the_count_is_bounded(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    await people(world)
    await sign_in(world, "lm_worker")
    exact = await world.client.get(f"{PAGES}/caseload", params={"people": "all", "q": "pag"})
    assert "<strong>11</strong> people" in exact.text
    monkeypatch.setattr(caseload_page, "COUNT_CAP", 5)
    capped = await world.client.get(f"{PAGES}/caseload", params={"people": "all", "q": "pag"})
    assert "<strong>More than 5</strong> people" in capped.text
    # A filter still narrows what is counted and paged.
    one = await world.client.get(f"{PAGES}/caseload", params={"people": "all", "q": "pagett"})
    assert "<strong>4</strong> people" in one.text and 'rel="next"' not in one.text


async def test_a_cursor_that_does_not_fit_starts_at_the_top(world: Any) -> None:
    await people(world)
    await sign_in(world, "lm_worker")
    top = await world.client.get(f"{PAGES}/caseload", params={"people": "all", "q": "pag"})
    for cursor in ("not-a-cursor", "WyJhIl0"):  # garbage, and a one-part key
        odd = await world.client.get(
            f"{PAGES}/caseload", params={"people": "all", "q": "pag", "after": cursor}
        )
        assert odd.status_code == 200
        assert ROW.findall(odd.text) == ROW.findall(top.text)
