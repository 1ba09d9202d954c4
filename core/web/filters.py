"""Jinja filters: dates and words the way GOV.UK writes them ("23 November 2026")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment

# The partnerships are all in the UK: times are shown in UK local time (GMT/BST).
UK = ZoneInfo("Europe/London")

WORDS = {
    "in_custody": "In custody",
    "in_community": "In the community",
    "nhs": "NHS",
    # The specification's initial assessment, due within five working days of referral.
    "screening": "Initial assessment (screening)",
    "staff_concern": "Staff concern (for example a night report)",
    "positive_drug_test": "Positive drug test",
    "pre_release_meeting": "Pre-release meeting",
    "reception": "On arrival (reception)",
    "health_incident": "After collapsing or falling ill",
    "application": "Self-referral by application",
    "in_cell_telephone": "Self-referral by in-cell telephone",
    "drop_in": "Drop-in",
    "one_to_one": "One-to-one",
}


def govuk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date() if value.tzinfo else value.date()
    return f"{value.day} {value:%B %Y}"


def govuk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(UK) if value.tzinfo else value
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{suffix}"


def humanise(value: object) -> str:
    """``in_custody_support`` -> ``In custody support``; known words get their proper form."""
    if value is None:
        return ""
    text = str(value)
    if text in WORDS:
        return WORDS[text]
    return text.replace("_", " ").capitalize()


def org_kind(value: object) -> str:
    """An organisation kind inside a sentence: ``third_sector`` -> ``third sector``."""
    text = str(value or "")
    return "NHS" if text == "nhs" else text.replace("_", " ")


def install(env: Environment) -> None:
    env.filters["org_kind"] = org_kind
    env.filters["govuk_date"] = govuk_date
    env.filters["govuk_datetime"] = govuk_datetime
    env.filters["humanise"] = humanise
