"""The partnership snapshot: referrals by decision, self-referrals, the active caseload."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.reports import queries
from core.reports.figures import Figures, row
from core.reports.queries import Scope
from core.reports.schemas import (
    ReportPeriod,
    ReportSection,
    ReportTable,
)
from core.reports.suppression import Line

REFERRAL_PARTS = (
    ("full_support", "Full support package"),
    ("brief_intervention", "Brief intervention or duty support"),
    ("declined", "Offer declined"),
    ("undecided", "Awaiting a decision"),
)


def referral_tables(counts: queries.ReferralCounts, figures: Figures) -> list[ReportTable]:
    """Decisions and self-referrals share the referral total, so they are suppressed as one
    table (two lines adding up to the same total) and cannot be played off each other."""
    parts = [getattr(counts, key) for key, _ in REFERRAL_PARTS]
    others = counts.total - counts.self_referrals
    values = [*parts, counts.self_referrals, others, counts.total]
    n = len(parts)
    total_at = n + 2
    lines = [Line(tuple(range(n)), total_at), Line((n, n + 1), total_at)]
    published = figures.table(values, lines)
    total = published[total_at]
    raw_total = counts.total
    decisions = ReportTable(
        key="referrals",
        title="Referrals received",
        percent_of="referrals received",
        rows=[
            row("referrals", "Referrals received", total),
            *(
                row(key, label, published[i], figures.percent(published[i], total, (v, raw_total)))
                for i, ((key, label), v) in enumerate(zip(REFERRAL_PARTS, parts, strict=True))
            ),
        ],
    )
    sources = ReportTable(
        key="self_referrals",
        title="Self-referrals",
        percent_of="referrals received",
        rows=[
            row(
                "self",
                "Self-referrals",
                published[n],
                figures.percent(published[n], total, (counts.self_referrals, raw_total)),
            ),
            row(
                "other",
                "Referred by staff or partners",
                published[n + 1],
                figures.percent(published[n + 1], total, (others, raw_total)),
            ),
        ],
    )
    return [decisions, sources]


CASELOAD_LABELS = {
    "community": "Supported in the community",
    "prison": "Supported within the prison",
    "assessment": "In the process of assessment",
}


def caseload_table(counts: dict[str, int], figures: Figures) -> ReportTable:
    keys = list(queries.CASELOAD_GROUPS)
    values = [counts[k] for k in keys] + [sum(counts.values())]
    published = figures.table(values, [Line(tuple(range(len(keys))), len(keys))])
    total = published[-1]
    raw_total = values[-1]
    return ReportTable(
        key="caseload",
        title="Active caseload at the end of the period",
        percent_of="active caseload",
        rows=[
            row("caseload", "Active caseload", total),
            *(
                row(
                    k,
                    CASELOAD_LABELS[k],
                    published[i],
                    figures.percent(published[i], total, (values[i], raw_total)),
                )
                for i, k in enumerate(keys)
            ),
        ],
    )


async def snapshot_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    referral = await queries.referral_counts(session, scope)
    caseload = await queries.caseload(session, scope)
    return ReportSection(
        key="snapshot",
        title="Partnership snapshot",
        period=period,
        suppressed=figures.suppressed,
        tables=[*referral_tables(referral, figures), caseload_table(caseload, figures)],
        definitions=[
            "Referrals received in the period, by the decision recorded on each.",
            "Active caseload: open episodes at the end of the period, by their phase then: "
            "community; in-custody support or pre-liberation (the prison); assessment.",
            "Self-referrals: referrals in the period whose source is the person themself.",
        ],
    )
