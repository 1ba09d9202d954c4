"""The service specification's KPIs: referrals, offered, engaged, community treatment."""

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
from core.reports.snapshot import referral_tables

KPI_DEFINITIONS = [
    "Referrals: referrals received in the period.",
    "Offered the service: people with a referral in the period on which a decision was "
    "recorded (full support, brief intervention, or declined: a declined offer was still "
    "offered).",
    "Engaged: of those offered, people whose referral in the period was accepted and who "
    "had at least one intervention logged at or after the decision, before the period ended.",
    "Community treatment arranged on release: people whose recovery plan was handed over to "
    "a community provider in the period (the record has no separate 'arranged' fact; the "
    "handover on release is the arrangement).",
    "Engaged with community treatment after release: of those, people with a "
    "community-setting intervention at or after the handover, before the period ended.",
    "Outcome measures: see the outcomes section (distance travelled on the seven domains).",
]


async def kpi_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    counts = await queries.kpi_counts(session, scope)
    referral = await queries.referral_counts(session, scope)
    shared_total = referral_tables(referral, figures)[0].rows[0].value
    offered = figures.single(counts.offered)
    engaged = figures.single(counts.engaged)
    arranged = figures.single(counts.community_arranged)
    community = figures.single(counts.community_engaged)
    table = ReportTable(
        key="kpis",
        title="Service specification KPIs",
        rows=[
            row("referrals", "Referrals into the service", shared_total),
            row("offered", "People offered the service", offered),
            row(
                "engaged",
                "People offered the service who engaged in an intervention",
                engaged,
                figures.percent(engaged, offered, (counts.engaged, counts.offered)),
            ),
            row("community_arranged", "People with community treatment arranged", arranged),
            row(
                "community_engaged",
                "People who engaged with community treatment after release",
                community,
                figures.percent(
                    community, arranged, (counts.community_engaged, counts.community_arranged)
                ),
            ),
        ],
        note="'engaged' is a percentage of those offered; 'engaged with community "
        "treatment' of those with it arranged.",
    )
    return ReportSection(
        key="kpis",
        title="Service specification KPIs",
        period=period,
        suppressed=figures.suppressed,
        tables=[table],
        definitions=KPI_DEFINITIONS,
    )
