"""Outcomes: distance travelled on the seven domains, latest review against the first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.outcomes.models import DOMAINS
from core.reports import queries
from core.reports.figures import Figures, row
from core.reports.queries import Scope
from core.reports.schemas import (
    ReportPeriod,
    ReportSection,
    ReportTable,
)
from core.reports.suppression import Line

DOMAIN_LABELS = {d: d.replace("_", " ").capitalize() for d in DOMAINS}


def outcomes_table(
    people: int, changes: dict[str, queries.DomainChange], figures: Figures
) -> ReportTable:
    """Every domain's improved + same + worse adds up to the same people: one total, seven
    lines, suppressed together."""
    values = [people]
    lines = []
    for domain in DOMAINS:
        change = changes[domain]
        first = len(values)
        values += [change.improved, change.same, change.worse]
        lines.append(Line((first, first + 1, first + 2), 0))
    published = figures.table(values, lines)
    rows = [row("people", "People with two or more reviews in the period", published[0])]
    for i, domain in enumerate(DOMAINS):
        for j, (what, label) in enumerate(
            (
                ("improved", "better than"),
                ("same", "the same as"),
                ("worse", "worse than"),
            )
        ):
            at = 1 + 3 * i + j
            rows.append(
                row(
                    f"{domain}.{what}",
                    f"{DOMAIN_LABELS[domain]}: latest review {label} the first",
                    published[at],
                    figures.percent(published[at], published[0], (values[at], people)),
                )
            )
    return ReportTable(
        key="outcomes",
        title="Distance travelled: latest outcome review against the first",
        percent_of="people with two or more reviews",
        rows=rows,
    )


async def outcomes_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    people, changes = await queries.distance_travelled(session, scope)
    return ReportSection(
        key="outcomes",
        title="Outcomes: distance travelled",
        period=period,
        suppressed=figures.suppressed,
        tables=[outcomes_table(people, changes, figures)],
        definitions=[
            "People with at least two outcome reviews dated in the period; on each domain, "
            "their latest review in the period against their first (higher is better).",
        ],
    )
