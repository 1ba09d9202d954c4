"""The clock that jobs and reminders read, which tests and the demo can move.

Wall-clock time for records (``created_at``, audit times) stays ``core.db.base.utcnow``; this
clock answers "what day is it for the reminders", so that moving it shows a partnership what
its workers would be reminded of in a week or a month, without touching any stored time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.db.base import utcnow

# Every nation Throughcare serves keeps UK civil time: "today" is the UK's date.
UK_TIME = ZoneInfo("Europe/London")

# Process-wide on purpose: a moved demo clock must be seen by every task of the process
# (the in-process scheduler, the worker's jobs), not only by the task that moved it.
_offset = timedelta(0)


def now() -> datetime:
    """The current UTC time, moved by the offset."""
    return utcnow() + _offset


def today() -> date:
    """The current date in UK civil time, moved by the offset."""
    return now().astimezone(UK_TIME).date()


def offset() -> timedelta:
    return _offset


def set_offset(delta: timedelta) -> None:
    """Move the clock by ``delta`` from real time (``timedelta(0)`` puts it back)."""
    global _offset
    _offset = delta


def start_on(day: date) -> None:
    """Move the clock by whole days so that today is ``day``; the time of day stays real."""
    set_offset(timedelta(days=(day - (utcnow().astimezone(UK_TIME).date())).days))


@contextmanager
def moved(delta: timedelta | None = None, *, to: date | datetime | None = None) -> Iterator[None]:
    """Within the block the clock is moved by ``delta``, or to the date or time ``to``.

    A date means noon UK time that day, well clear of midnight in both UTC and BST.
    """
    if (delta is None) == (to is None):
        raise ValueError("give exactly one of delta or to")
    if to is not None:
        if isinstance(to, datetime):
            if to.tzinfo is None:
                raise ValueError("a naive datetime given where a UTC time is required")
            target = to.astimezone(UTC)
        else:
            target = datetime.combine(to, time(12), tzinfo=UK_TIME).astimezone(UTC)
        delta = target - utcnow()
    assert delta is not None
    previous = _offset
    set_offset(delta)
    try:
        yield
    finally:
        set_offset(previous)
