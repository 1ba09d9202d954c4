"""Assembling reports from their sections: the full report, and the stored six-monthly
report (once per tenant and period).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import pluggy
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.actor import Actor
from core.db.base import utcnow
from core.reports.exports import report_csv, report_html
from core.reports.figures import Figures
from core.reports.kpis import kpi_section
from core.reports.metrics import plugin_metrics
from core.reports.models import ReportRun
from core.reports.outcomes import outcomes_section
from core.reports.periods import last_complete_half_year
from core.reports.queries import Scope
from core.reports.schemas import (
    FullReport,
    ReportPeriod,
)
from core.reports.snapshot import snapshot_section
from core.reports.waiting import waiting_section
from core.tenancy.models import Tenant

# Every section of the full report, in its order; each builds from the same scope.
SECTIONS = {
    "kpis": kpi_section,
    "snapshot": snapshot_section,
    "outcomes": outcomes_section,
    "waiting_times": waiting_section,
}


async def build_full_report(
    session: AsyncSession,
    pm: pluggy.PluginManager,
    enabled: Sequence[str],
    scope: Scope,
    period: ReportPeriod,
    figures: Figures,
    *,
    tenant: str,
    title: str | None = None,
) -> FullReport:
    sections = [await build(session, scope, period, figures) for build in SECTIONS.values()]
    metrics = await plugin_metrics(session, pm, enabled, scope, figures)
    return FullReport(
        tenant=tenant,
        title=title or f"Partnership report {period.start.isoformat()} to {period.end.isoformat()}",
        period=period,
        suppressed=figures.suppressed,
        generated_at=utcnow(),
        sections=sections,
        metrics=metrics,
    )


SIX_MONTHLY = "six_monthly"


async def _stored_run(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> ReportRun | None:
    return await session.scalar(
        select(ReportRun).where(
            ReportRun.tenant_id == tenant_id,
            ReportRun.kind == SIX_MONTHLY,
            ReportRun.period_start == start,
            ReportRun.period_end == end,
        )
    )


async def store_six_monthly_report(
    session: AsyncSession,
    pm: pluggy.PluginManager,
    tenant_id: uuid.UUID,
    today: date,
    *,
    created_by: uuid.UUID | None,
    actor: Actor | None = None,
) -> tuple[ReportRun, bool]:
    """Store the report for the last complete half-year before ``today``, suppressed and
    anonymised, unless it is stored already. Returns the run and whether it is new; commits.

    Once per tenant and period: checked first, and guarded by the unique index, so two
    concurrent runs store one report and the loser returns the winner's.
    """
    start, end = last_complete_half_year(today)
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise ValueError(f"no tenant {tenant_id}")
    existing = await _stored_run(session, tenant_id, start, end)
    if existing is not None:
        return existing, False
    report = await build_full_report(
        session,
        pm,
        tenant.plugins,
        Scope(tenant_id, start, end),
        ReportPeriod(start=start, end=end),
        Figures(suppressed=True),
        tenant=tenant.slug,
        title=f"{tenant.name}: six-monthly report, {start.isoformat()} to {end.isoformat()}",
    )
    run = ReportRun(
        tenant_id=tenant_id,
        kind=SIX_MONTHLY,
        period_start=start,
        period_end=end,
        title=report.title,
        html=report_html(report),
        csv=report_csv(report),
        created_by=created_by,
    )
    session.add(run)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await _stored_run(session, tenant_id, start, end)
        if existing is None:
            raise
        return existing, False
    record(
        session,
        actor,
        "report",
        "report_run",
        run.id,
        tenant_id=tenant_id,
        detail={"kind": SIX_MONTHLY, "start": start.isoformat(), "end": end.isoformat()},
    )
    await session.commit()
    return run, True
