"""The national returns checked against their field specifications (core/returns/specs):
what the national system would reject is reported row by row, never dropped, and the
lead sees it on the returns page before downloading the file."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from core.returns.extracts import COLUMNS
from core.returns.validation import field_spec, row_problems
from tests.core.test_national_returns import R, in_treatment, month

COMPLETE: dict[str, Any] = {
    "client_ref": "0123456789abcdef",
    "initials": "AE",
    "date_of_birth": date(1990, 1, 1),
    "sex": "not_stated",
    "ethnicity": "white_british",
    "local_authority": "Glasgow City",
    "legal_status": "convicted",
    "liberation_date": None,
    "problem_substance_1": "heroin",
    "problem_substance_2": None,
    "problem_substance_3": None,
    "injecting": "previously",
    "referral_date": date(2026, 10, 1),
    "modality": "pharmacological_reducing",
    "modality_start": date(2026, 10, 3),
    "modality_end": None,
    "exit_reason": None,
    "treatment_goal": "abstinence",
    "provider": "Turning Point Scotland",
    "first_treatment_date": date(2026, 10, 3),
    "wait_days": 2,
    "within_three_weeks": "yes",
}


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_the_specification_names_exactly_the_columns_the_extract_writes(kind: str) -> None:
    assert tuple(field_spec(kind)) == COLUMNS[kind]


def test_a_complete_row_passes_and_each_fault_is_named() -> None:
    assert row_problems("daisy", COMPLETE, set()) == []
    faulty = {
        **COMPLETE,
        "sex": None,
        "ethnicity": "martian",
        "modality_end": date(2026, 10, 20),
        "wait_days": "soon",
    }
    found = {(p.column, p.problem) for p in row_problems("daisy", faulty, {"sex"})}
    assert found == {
        ("sex", "is required but not shared with you"),
        ("ethnicity", "has 'martian', which is not in the ethnicity list"),
        # An ended modality must say why.
        ("exit_reason", "is required and not recorded"),
        ("wait_days", "is not a whole number"),
    }
    # "Not stated" is an answer; blank is not.
    assert row_problems("daisy", {**COMPLETE, "injecting": None}, set())[0].column == "injecting"


async def test_an_incomplete_record_is_reported_not_dropped(world: Any) -> None:
    await in_treatment(world)
    summary = await world.get("lm_lead", f"{R}/daisy", params={"month": month()})
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["rows"], body["valid_rows"]) == (1, 0)
    problems = {p["column"]: p["problem"] for p in body["problems"]}
    # Sex is health, which the lead may not read for this person; the rest were never recorded.
    assert problems["sex"] == "is required but not shared with you"
    assert problems["local_authority"] == "is required and not recorded"
    assert "modality" not in problems and "problem_substance_1" not in problems
    extract = await world.get("lm_lead", f"{R}/daisy/extract.csv", params={"month": month()})
    assert len(list(csv.DictReader(io.StringIO(extract.text)))) == 1


async def test_the_lead_checks_and_downloads_the_return_from_a_page(world: Any) -> None:
    await in_treatment(world)
    page = await world.get("lm_lead", "/t/low-moss/returns", params={"month": month()})
    assert page.status_code == 200, page.text
    assert "DAISy return for" in page.text and "What to fix before filing" in page.text
    assert "is required but not shared with you" in page.text
    assert f"/returns/daisy/extract.csv?month={month()}" in page.text
    # No month: the month just ended.
    assert (await world.get("lm_lead", "/t/low-moss/returns")).status_code == 200
    bad = await world.get("lm_lead", "/t/low-moss/returns", params={"month": "2026-13"})
    assert bad.status_code == 400 and "The month must look like" in bad.text
    for user in ("lm_worker", "lm_analyst"):
        refused = await world.get(user, "/t/low-moss/returns")
        assert refused.status_code == 403, user
