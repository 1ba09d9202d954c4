"""Working days in the right nation's calendar (Scotland's bank holidays differ from England's)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

_SUBDIVISION = {
    "scotland": "SCT",
    "england": "ENG",
    "wales": "WLS",
    "northern_ireland": "NIR",
}


@lru_cache(maxsize=8)
def bank_holidays(nation: str) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=_SUBDIVISION[nation])


def is_working_day(day: date, nation: str) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(nation)


def add_working_days(start: date, days: int, nation: str) -> date:
    """The date ``days`` working days after ``start`` (start itself never counts)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, nation):
            remaining -= 1
    return current
