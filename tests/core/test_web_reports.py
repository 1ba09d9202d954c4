"""The reports page through the test client: the lead's sections and downloads, the
six-monthly report made and downloaded, the analyst's suppressed view, who may not see it,
and the period form's errors."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from core import clock
from core.reports.exports import CSV_HEADER
from core.reports.services import last_complete_half_year
from core.reports.suppression import PRIMARY
from tests.core.test_reports import PERIOD, kpi_world
from tests.core.test_web import csrf_from, sign_in

PAGES = "/t/low-moss"
REPORTS = f"{PAGES}/reports"
API = "/api/v1/t/low-moss/reports"
SECTION_TITLES = (
    "Service specification KPIs",
    "Partnership snapshot",
    "Waiting times",
    "Partner services",
)


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


def period_form(start: str, end: str) -> dict[str, str]:
    out = {}
    for name, text in (("start", start), ("end", end)):
        day = date.fromisoformat(text)
        out |= {f"{name}-day": str(day.day), f"{name}-month": str(day.month)}
        out[f"{name}-year"] = str(day.year)
    return out


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def cell_values(page: str) -> list[str]:
    # Cells may carry a data-label for the small-screen stacked rows.
    cells = re.findall(r'govuk-table__cell--numeric"(?: data-label="[^"]*")?>([^<]*)</td>', page)
    return [html.unescape(c) for c in cells]


def first_csv_row(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


async def test_the_lead_sees_every_section_and_downloads_what_the_page_shows(world: Any) -> None:
    await kpi_world(world)
    await sign_in(world, "lm_lead")
    page = await world.client.get(REPORTS, params={**period_form(**PERIOD), "exact": "yes"})
    assert page.status_code == 200, page.text
    for title in SECTION_TITLES:
        assert title in page.text
    assert "Exact figures: small numbers are not hidden" in page.text
    assert 'name="exact"' in page.text and "checked" in page.text
    # The outcomes chart is inline, with a name and a text alternative.
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert 'role="img" aria-label=' in page.text
    # Exact: the four referrals of the period are counted, not hidden.
    assert PRIMARY not in cell_values(page.text)
    nav = re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', page.text)
    assert REPORTS in nav

    hrefs = links(page.text)
    whole_csv = next(h for h in hrefs if h.startswith(f"{API}/report.csv?"))
    assert parse_qs(urlsplit(whole_csv).query) == {
        "start": [PERIOD["start"]],
        "end": [PERIOD["end"]],
        "exact": ["true"],
    }
    for slug in ("kpis", "snapshot", "outcomes", "waiting-times"):
        assert any(h.startswith(f"{API}/{slug}.csv?") for h in hrefs), slug
    assert any(h.startswith(f"{API}/report.html?") for h in hrefs)

    # The page's session is enough for the API's downloads: no bearer token.
    download = await world.client.get(whole_csv)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    assert first_csv_row(download.text) == CSV_HEADER
    rows = {(r[1], r[2]): r[4] for r in csv.reader(io.StringIO(download.text))}
    assert rows[("kpis", "referrals")] == "4"
    assert "4" in cell_values(page.text)


async def test_the_lead_makes_the_six_monthly_report_and_downloads_it(world: Any) -> None:
    await sign_in(world, "lm_lead")
    page = await world.client.get(REPORTS)
    assert page.status_code == 200, page.text
    assert "No six-monthly report has been made yet." in page.text
    assert "Make the latest six-monthly report now" in page.text
    # The form defaults to the service's period: the current half-year to date.
    start = re.search(
        r'name="start-month" type="text" inputmode="numeric" value="(\d+)"', page.text
    )
    assert start and start.group(1) in ("4", "10")

    made = await world.client.post(f"{REPORTS}/runs", data={"_csrf_token": csrf_from(page.text)})
    assert made.status_code in (302, 303), made.text
    target = made.headers["location"]
    assert target.startswith(f"{REPORTS}?made=") and "new=1" in target
    done = await world.client.get(target)
    assert done.status_code == 200, done.text
    period_start, period_end = last_complete_half_year(clock.today())
    assert "has been made" in done.text
    run_links = [h for h in links(done.text) if h.startswith(f"{API}/runs/")]
    html_link = next(h for h in run_links if h.endswith("format=html"))
    csv_link = next(h for h in run_links if h.endswith("format=csv"))

    report = await world.client.get(html_link)
    assert report.status_code == 200, report.text
    assert world.tenants["low-moss"].name in report.text
    assert period_start.isoformat() in report.text and period_end.isoformat() in report.text
    assert "attachment" in report.headers["content-disposition"]
    table = await world.client.get(csv_link)
    assert table.status_code == 200
    assert first_csv_row(table.text) == CSV_HEADER

    # Once per half-year: a second press says so and stores nothing new.
    again = await world.client.post(f"{REPORTS}/runs", data={"_csrf_token": csrf_from(done.text)})
    assert "new=0" in again.headers["location"]
    listed = await world.get("lm_lead", f"{API}/runs")
    assert len(listed.json()) == 1
    repeat = await world.client.get(again.headers["location"])
    assert "was already made" in repeat.text


async def test_the_analyst_sees_suppressed_figures_and_no_exact_option(world: Any) -> None:
    await kpi_world(world)
    await sign_in(world, "lm_analyst")
    page = await world.client.get(REPORTS, params=period_form(**PERIOD))
    assert page.status_code == 200, page.text
    assert PRIMARY in cell_values(page.text)
    assert "Small numbers are hidden" in page.text
    assert 'name="exact"' not in page.text
    assert "Make the latest six-monthly report now" not in page.text
    assert all("exact=true" not in h for h in links(page.text))
    nav = re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', page.text)
    assert REPORTS in nav
    # Asking in the address is refused, and so is making the stored report.
    exact = await world.client.get(REPORTS, params={"exact": "yes"})
    assert exact.status_code == 403
    assert "Exact figures are for the partnership lead" in exact.text
    refused = await world.client.post(f"{REPORTS}/runs", data={"_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
    assert "You do not have permission to see this" in refused.text


async def test_a_case_worker_gets_the_403_page_and_no_menu_link(world: Any) -> None:
    await sign_in(world, "lm_worker")
    caseload = await world.client.get(f"{PAGES}/caseload")
    assert f'href="{REPORTS}"' not in caseload.text
    page = await world.client.get(REPORTS)
    assert page.status_code == 403
    assert "You do not have permission to see this" in page.text
    assert "Traceback" not in page.text
    response = await world.client.post(
        f"{REPORTS}/runs", data={"_csrf_token": csrf_from(caseload.text)}
    )
    assert response.status_code == 403


async def test_a_leicester_user_gets_a_404(world: Any) -> None:
    await sign_in(world, "lc_worker")
    page = await world.client.get(REPORTS)
    assert page.status_code == 404
    assert "Page not found" in page.text


async def test_an_impossible_date_shows_the_error_summary_and_keeps_what_was_typed(
    world: Any,
) -> None:
    await sign_in(world, "lm_lead")
    typed = {"start-day": "31", "start-month": "2", "start-year": "2026", "end-day": "x"}
    page = await world.client.get(REPORTS, params=typed)
    assert page.status_code == 400
    assert "govuk-error-summary" in page.text
    assert '<a href="#start">Start date must be a real date</a>' in page.text
    assert '<a href="#end">End date must be a real date, for example 27 3 2026</a>' in page.text
    assert 'id="start-day" name="start-day" type="text" inputmode="numeric" value="31"' in page.text
    assert 'id="end-day" name="end-day" type="text" inputmode="numeric" value="x"' in page.text
    assert "<title>Error: Reports" in page.text
    assert "Service specification KPIs" not in page.text  # no report for a period not understood

    # A start after the end: the service's rule, beside the start date.
    backwards = await world.client.get(REPORTS, params=period_form(PERIOD["end"], PERIOD["start"]))
    assert backwards.status_code == 400
    assert "must not be after its end" in backwards.text
    assert '<a href="#start">' in backwards.text

    unknown = await world.client.get(REPORTS, params={"organisation": "not-a-partner"})
    assert unknown.status_code == 400
    assert "Select a partner organisation from the list" in unknown.text
