"""Form handling in the GOV.UK pattern: every error names its field, what was typed is kept.

A page posts an HTML form; :func:`convert` turns its fields into the domain's msgspec
input Struct, so the API's validation rules apply unchanged, and maps any failure to
``{field: message}`` for the error summary and the message beside the field.

:func:`save_form` is the one form flow every page handler uses: decode into the Struct,
call the service, and turn a refusal (403), conflict (409) or rule violation (422) into
an error beside a field. The handler then re-renders the same form from the values it
was sent, so nothing typed is lost whichever way the service said no.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time
from typing import Any, TypeVar

import msgspec
from litestar.exceptions import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from core.web.filters import UK

T = TypeVar("T")

_PATH = re.compile(r"at `\$\.([a-z_]+)")

# What a service may answer that the person at the form can act on; anything else (404 for a
# record they may not know of, 5xx) still goes to the plain error page.
KEPT_STATUSES = frozenset({403, 409, 422})


class FormErrors(dict[str, str]):
    """``{field: message}``, in the order the fields appear on the page."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The submitted text fields, trimmed, without the CSRF token."""
    return {k: str(v).strip() for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}


def parse_date(values: Mapping[str, str], name: str, errors: FormErrors, label: str) -> date | None:
    """A GOV.UK date input: ``<name>-day``, ``<name>-month``, ``<name>-year``."""
    parts = [values.get(f"{name}-{p}", "") for p in ("day", "month", "year")]
    if not any(parts):
        return None
    if not all(p.isdigit() for p in parts):
        errors.add(name, f"{label} must be a real date, for example 27 3 2026")
        return None
    day, month, year = (int(p) for p in parts)
    if year < 1900:
        errors.add(name, f"{label} must include a year, for example 2026")
        return None
    try:
        return date(year, month, day)
    except ValueError:
        errors.add(name, f"{label} must be a real date")
        return None


def parse_time(values: Mapping[str, str], name: str, errors: FormErrors, label: str) -> time | None:
    text = values.get(name, "").lower().replace(".", ":")
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text)
    if match is None:
        errors.add(name, f"{label} must be a time, for example 14:30 or 2:30pm")
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) == "pm" and hour < 12:
        hour += 12
    if match.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        errors.add(name, f"{label} must be a real time")
        return None
    return time(hour, minute)


def uk_moment(day: date, at: time | None) -> datetime:
    """A UK wall-clock date and time as an aware datetime (midday when no time is given)."""
    return datetime.combine(day, at or time(12, 0), tzinfo=UK)


def convert(
    data: dict[str, Any], into: type[T], errors: FormErrors, messages: Mapping[str, str]
) -> T | None:
    """``data`` as ``into``; a failure becomes the field's message from ``messages``."""
    try:
        return msgspec.convert(data, into)
    except msgspec.ValidationError as exc:
        match = _PATH.search(str(exc))
        field = match.group(1) if match else ""
        errors.add(field, messages.get(field, "Check this answer"))
        return None


def rule_errors(exc: HTTPException, errors: FormErrors, default_field: str) -> None:
    """A service's RuleViolation or Conflict, placed beside the field it names."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    named = [e for e in extra if isinstance(e, dict) and e.get("key")]
    if named:
        for item in named:
            message = str(item.get("message") or exc.detail)
            # A Conflict's message is terse ("already in use"): lead with the detail.
            if message != exc.detail and exc.status_code == 409:
                message = str(exc.detail)
            errors.add(str(item["key"]), message)
    else:
        errors.add(default_field, str(exc.detail))


def refusal_message(exc: HTTPException) -> str:
    """The words for a refused write: the decision's plain reason, never a rule or a status."""
    detail = str(exc.detail or "").strip()
    if exc.status_code == 403 and not detail:
        return "You cannot make this change for this person"
    return detail.removesuffix(".")


async def save_form(
    session: AsyncSession,
    data: Mapping[str, Any] | None,
    into: type[T],
    errors: FormErrors,
    messages: Mapping[str, str],
    save: Callable[[T], Awaitable[Any]],
    default_field: str,
) -> bool:
    """Decode ``data`` into ``into`` and ``save`` it; False when it was not saved.

    ``data`` is None (or ``errors`` already holds something) when the handler's own checks
    failed: nothing is sent to the service. On a refusal, conflict or rule violation the
    session is rolled back (the service may have flushed) and the message lands beside the
    field it names, or ``default_field``; the caller re-renders the form with its values.
    """
    if errors or data is None:
        return False
    struct = convert(dict(data), into, errors, messages)
    if struct is None:
        return False
    try:
        await save(struct)
    except HTTPException as exc:
        if exc.status_code not in KEPT_STATUSES:
            raise
        await session.rollback()
        if exc.status_code == 403:
            errors.add(default_field, refusal_message(exc))
        else:
            rule_errors(exc, errors, default_field)
        return False
    return True
