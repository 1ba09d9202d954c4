"""The periods reports cover: halves of the financial year (April-September, October-March)."""

from __future__ import annotations

from datetime import date, timedelta


def half_year_of(day: date) -> tuple[date, date]:
    """The half of the financial year (April-September, October-March) holding ``day``."""
    if 4 <= day.month <= 9:
        return date(day.year, 4, 1), date(day.year, 9, 30)
    year = day.year if day.month >= 10 else day.year - 1
    return date(year, 10, 1), date(year + 1, 3, 31)


def last_complete_half_year(today: date) -> tuple[date, date]:
    start, _ = half_year_of(today)
    return half_year_of(start - timedelta(days=1))
