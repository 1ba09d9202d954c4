"""Checking a national return's rows against its field specification (``specs/*.toml``).

The national systems reject a row with a required field blank or a code outside its list;
finding that after filing costs a month. So every row is checked before the lead files it,
and each problem is reported by client reference and column. A row with problems stays in
the extract: an incomplete record is reported, never silently dropped.
"""

from __future__ import annotations

import tomllib
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from core.returns.models import Ethnicity, Injecting, LegalStatus, Sex, Substance, YesNo
from core.treatment.models import ExitReason, Goal, Modality

SPECS = Path(__file__).parent / "specs"

CODE_LISTS: dict[str, type[StrEnum]] = {
    "sex": Sex,
    "ethnicity": Ethnicity,
    "legal_status": LegalStatus,
    "substance": Substance,
    "injecting": Injecting,
    "yes_no": YesNo,
    "modality": Modality,
    "exit_reason": ExitReason,
    "goal": Goal,
}


class FieldRule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    required: bool = False
    codes: str | None = None
    format: str | None = None
    required_with: str | None = None


class RowProblem(msgspec.Struct):
    client_ref: str | None
    modality_start: date | None
    column: str
    problem: str


@cache
def field_spec(kind: str) -> dict[str, FieldRule]:
    """The return's fields in file order; a malformed file fails loudly at first use."""
    raw = tomllib.loads((SPECS / f"{kind}.toml").read_text())
    spec = msgspec.convert(raw["fields"], dict[str, FieldRule])
    for name, rule in spec.items():
        if rule.codes is not None and rule.codes not in CODE_LISTS:
            raise ValueError(f"{kind}.toml: {name} names an unknown code list {rule.codes!r}")
        if rule.required_with is not None and rule.required_with not in spec:
            raise ValueError(f"{kind}.toml: {name} is required with unknown {rule.required_with}")
    return spec


def _format_problem(value: Any, fmt: str | None) -> str | None:
    if fmt == "date" and not isinstance(value, date):
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return "is not a date"
    if fmt == "integer" and not isinstance(value, int):
        return "is not a whole number"
    return None


def row_problems(kind: str, row: dict[str, Any], withheld: set[str]) -> list[RowProblem]:
    """What the national system would reject in one row; ``withheld`` names the columns
    blank because the person running the return may not read them."""
    problems: list[tuple[str, str]] = []
    for column, rule in field_spec(kind).items():
        value = row.get(column)
        blank = value is None or value == ""
        needed = rule.required or (
            rule.required_with is not None and row.get(rule.required_with) not in (None, "")
        )
        if blank:
            if needed:
                why = (
                    "is required but not shared with you"
                    if column in withheld
                    else "is required and not recorded"
                )
                problems.append((column, why))
            continue
        if rule.codes is not None and str(value) not in {c.value for c in CODE_LISTS[rule.codes]}:
            problems.append((column, f"has {value!r}, which is not in the {rule.codes} list"))
        elif (problem := _format_problem(value, rule.format)) is not None:
            problems.append((column, problem))
    return [
        RowProblem(row.get("client_ref"), row.get("modality_start"), column, why)
        for column, why in problems
    ]
