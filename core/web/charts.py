"""Distance travelled as a small inline SVG per outcome domain (no JavaScript, printable)."""

from __future__ import annotations

from dataclasses import dataclass

from core.outcomes.models import SCORE_MAX, SCORE_MIN
from core.outcomes.schemas import DomainDistance
from core.web.filters import govuk_date

WIDTH, HEIGHT = 220, 120
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 28, 10, 10, 22


@dataclass(frozen=True)
class Chart:
    domain: str
    points: list[tuple[float, float, int, str]]  # x, y, score, date label
    polyline: str
    gridlines: list[tuple[float, int]]  # y, score
    summary: str
    width: int = WIDTH
    height: int = HEIGHT


def _y(score: int) -> float:
    span = SCORE_MAX - SCORE_MIN
    inner = HEIGHT - PAD_TOP - PAD_BOTTOM
    return round(PAD_TOP + inner * (SCORE_MAX - score) / span, 1)


def distance_chart(domain: str, distance: DomainDistance) -> Chart:
    series = distance.series
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    step = inner_w / (len(series) - 1) if len(series) > 1 else 0
    points = [
        (
            round(PAD_LEFT + (i * step if len(series) > 1 else inner_w / 2), 1),
            _y(p.score),
            p.score,
            govuk_date(p.reviewed_on),
        )
        for i, p in enumerate(series)
    ]
    if distance.change is None:
        summary = "No reviews yet"
    elif len(series) == 1:
        summary = f"One review: {distance.latest} out of {SCORE_MAX}"
    else:
        direction = "up" if distance.change > 0 else "down" if distance.change < 0 else "no change"
        amount = f" {abs(distance.change)}" if distance.change else ""
        summary = (
            f"From {distance.first} to {distance.latest} out of {SCORE_MAX} "
            f"over {len(series)} reviews: {direction}{amount}"
        )
    return Chart(
        domain=domain,
        points=points,
        polyline=" ".join(f"{x},{y}" for x, y, _, _ in points),
        gridlines=[(_y(s), s) for s in (SCORE_MIN, (SCORE_MIN + SCORE_MAX) // 2, SCORE_MAX)],
        summary=summary,
    )
