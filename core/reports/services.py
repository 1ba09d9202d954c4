"""Reports for a partnership: queries → suppression → sections. Nothing here names or
identifies a person; every figure is a count over the case tables (see ``queries``).

Who may run them: whoever the sharing protocol gives the tenant-level ``reports`` permission
(the partnership lead and analysts in the templates). Everyone gets suppressed figures; the
lead alone may ask for exact ones (``exact=True``) for the partnership's own management.
Every run is audited.

The pieces: ``access`` (who may run them), ``periods``, ``figures`` (suppression or exact),
one module per report's figures (``kpis``, ``snapshot``, ``outcomes``, ``waiting``,
``metrics`` from plugins) and ``assembly`` (the full and the stored six-monthly report).
"""

from __future__ import annotations

import uuid
from datetime import date

import pluggy
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.episodes.services import get_organisation_row
from core.errors import RuleViolation, not_found
from core.referrals.services import local_today
from core.reports.access import report_access
from core.reports.assembly import SECTIONS, build_full_report, store_six_monthly_report
from core.reports.figures import Figures
from core.reports.metrics import plugin_metrics
from core.reports.models import ReportRun
from core.reports.periods import half_year_of, last_complete_half_year
from core.reports.queries import Scope
from core.reports.schemas import (
    FullReport,
    MetricsSection,
    ReportPeriod,
    ReportRunOut,
    ReportSection,
)

__all__ = [
    "ReportService",
    "half_year_of",
    "last_complete_half_year",
    "report_access",
    "run_out",
    "store_six_monthly_report",
]


class ReportService:
    def __init__(self, session: AsyncSession, access: Access, pm: pluggy.PluginManager) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor
        self.pm = pm

    async def _scope(
        self, start: date | None, end: date | None, organisation_id: uuid.UUID | None
    ) -> tuple[Scope, ReportPeriod]:
        today = local_today()
        end = end or today
        start = start or half_year_of(end)[0]
        if start > end:
            raise RuleViolation("The period's start must not be after its end", field="start")
        name = None
        if organisation_id is not None:
            name = (await get_organisation_row(self.session, self.actor, organisation_id)).name
        scope = Scope(self.actor.tenant_id, start, end, organisation_id)
        return scope, ReportPeriod(start, end, organisation_id, name)

    def _audit(self, report: str, period: ReportPeriod, suppressed: bool) -> None:
        record(
            self.session,
            self.actor,
            "report",
            "report",
            detail={
                "report": report,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "organisation_id": str(period.organisation_id) if period.organisation_id else None,
                "suppressed": suppressed,
            },
        )

    async def section(
        self,
        key: str,
        *,
        start: date | None,
        end: date | None,
        organisation_id: uuid.UUID | None,
        exact: bool,
    ) -> ReportSection:
        figures = Figures(await report_access(self.access, exact=exact))
        scope, period = await self._scope(start, end, organisation_id)
        section = await SECTIONS[key](self.session, scope, period, figures)
        self._audit(key, period, figures.suppressed)
        await self.session.commit()
        return section

    async def metrics(
        self,
        *,
        start: date | None,
        end: date | None,
        organisation_id: uuid.UUID | None,
        exact: bool,
    ) -> MetricsSection:
        figures = Figures(await report_access(self.access, exact=exact))
        scope, period = await self._scope(start, end, organisation_id)
        metrics = await plugin_metrics(
            self.session, self.pm, self.actor.enabled_plugins, scope, figures
        )
        self._audit("metrics", period, figures.suppressed)
        await self.session.commit()
        return MetricsSection(period=period, suppressed=figures.suppressed, metrics=metrics)

    async def full(
        self,
        *,
        start: date | None,
        end: date | None,
        organisation_id: uuid.UUID | None,
        exact: bool,
    ) -> FullReport:
        figures = Figures(await report_access(self.access, exact=exact))
        scope, period = await self._scope(start, end, organisation_id)
        report = await build_full_report(
            self.session,
            self.pm,
            self.actor.enabled_plugins,
            scope,
            period,
            figures,
            tenant=self.actor.tenant_slug,
        )
        self._audit("full", period, figures.suppressed)
        await self.session.commit()
        return report

    async def generate(self) -> tuple[ReportRun, bool]:
        """The lead stores the last complete half-year's report now, rather than waiting
        for the night's job; the same once-per-period rule holds."""
        await report_access(self.access, exact=False)
        # A stored report is a write on behalf of the partnership: the lead's, not an analyst's.
        if not self.actor.has_role("partnership_lead"):
            raise PermissionDeniedException(
                detail="Only the partnership lead can generate the six-monthly report"
            )
        return await store_six_monthly_report(
            self.session,
            self.pm,
            self.actor.tenant_id,
            clock.today(),
            created_by=self.actor.user_id,
            actor=self.actor,
        )

    async def runs(self) -> list[ReportRunOut]:
        await report_access(self.access, exact=False)
        rows = (
            await self.session.scalars(
                select(ReportRun)
                .where(ReportRun.tenant_id == self.actor.tenant_id)
                .order_by(ReportRun.period_end.desc(), ReportRun.created_at.desc())
            )
        ).all()
        record(self.session, self.actor, "list", "report_run", detail={"returned": len(rows)})
        await self.session.commit()
        return [run_out(r) for r in rows]

    async def run(self, run_id: uuid.UUID) -> ReportRun:
        await report_access(self.access, exact=False)
        run = await self.session.get(ReportRun, (self.actor.tenant_id, run_id))
        if run is None:
            raise not_found("Report")
        record(self.session, self.actor, "report", "report_run", run.id, detail={"kind": run.kind})
        await self.session.commit()
        return run


def run_out(run: ReportRun) -> ReportRunOut:
    return ReportRunOut(
        id=run.id,
        kind=run.kind,
        title=run.title,
        period_start=run.period_start,
        period_end=run.period_end,
        created_at=run.created_at,
        created_by=run.created_by,
    )
