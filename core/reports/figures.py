"""Publishing raw counts as report figures: suppressed for everyone, exact for the lead."""

from __future__ import annotations

from collections.abc import Sequence

from core.reports.schemas import ReportRow
from core.reports.suppression import (
    Figure,
    Line,
    Percent,
    exact_percent,
    percent,
    publish,
    suppress_single,
)


class Figures:
    """Publishes raw counts: through suppression, or exactly for the lead's own view."""

    def __init__(self, suppressed: bool) -> None:
        self.suppressed = suppressed

    def table(self, values: Sequence[int], lines: Sequence[Line]) -> list[Figure]:
        return publish(values, lines) if self.suppressed else list(values)

    def single(self, value: int) -> Figure:
        return suppress_single(value) if self.suppressed else value

    def percent(self, numerator: Figure, denominator: Figure, raw: tuple[int, int]) -> Percent:
        if self.suppressed:
            return percent(numerator, denominator)
        return exact_percent(*raw)


def row(key: str, label: str, value: Figure | float | None, pct: Percent = None) -> ReportRow:
    return ReportRow(key=key, label=label, value=value, percent=pct)
