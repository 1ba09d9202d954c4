"""/api/v1/t/{tenant}/reports: JSON sections, CSV and printable HTML exports, the outcomes
chart as SVG, and the stored six-monthly reports."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

import msgspec
from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.hooktypes import Schedule
from core.reports.charts import outcomes_chart
from core.reports.exports import report_csv, report_html, sections_csv
from core.reports.jobs import SCHEDULE, generate_six_monthly_report
from core.reports.schemas import FullReport, MetricsSection, ReportRunOut, ReportSection
from core.reports.services import ReportService, run_out

CSV = "text/csv; charset=utf-8"
SVG = "image/svg+xml"


class Period(msgspec.Struct, frozen=True):
    """The query every report takes: a period, optionally one partner, exact figures."""

    start: date | None
    end: date | None
    organisation_id: uuid.UUID | None
    exact: bool

    def kwargs(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


async def provide_period(
    start: FromQuery[date | None] = None,
    end: FromQuery[date | None] = None,
    organisation_id: FromQuery[uuid.UUID | None] = None,
    exact: FromQuery[bool] = False,
) -> Period:
    return Period(start=start, end=end, organisation_id=organisation_id, exact=exact)


async def provide_report_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access], state: State
) -> ReportService:
    return ReportService(db_session, access, state.plugin_manager)


def _download(body: str, media_type: str, filename: str) -> Response[str]:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


class ReportController(Controller):
    path = "/api/v1/t/{tenant:str}/reports"
    tags = ["reports"]
    dependencies = {
        "service": Provide(provide_report_service),
        "period": Provide(provide_period),
    }

    @get("/kpis", summary="Service specification KPIs for a period (and optionally a partner)")
    async def kpis(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> ReportSection:
        return await service.section("kpis", **period.kwargs())

    @get(
        "/snapshot", summary="Partnership snapshot: referrals, decisions, caseload, self-referrals"
    )
    async def snapshot(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> ReportSection:
        return await service.section("snapshot", **period.kwargs())

    @get("/outcomes", summary="Distance travelled on the seven outcome domains")
    async def outcomes(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> ReportSection:
        return await service.section("outcomes", **period.kwargs())

    @get("/outcomes.svg", summary="The outcomes chart (SVG)", media_type=SVG)
    async def outcomes_svg(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> Response[str]:
        section = await service.section("outcomes", **period.kwargs())
        return Response(outcomes_chart(section), media_type=SVG)

    @get(
        "/waiting-times",
        summary="Referral to initial assessment; first treatment (Scotland) or continuity of care",
    )
    async def waiting_times(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> ReportSection:
        return await service.section("waiting_times", **period.kwargs())

    @get("/metrics", summary="Figures contributed by the partnership's enabled plugins")
    async def metrics(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> MetricsSection:
        return await service.metrics(**period.kwargs())

    @get("/report", summary="Every section and plugin figure, for a period")
    async def report(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> FullReport:
        return await service.full(**period.kwargs())

    @get("/report.csv", summary="The whole report as CSV", media_type=CSV)
    async def report_as_csv(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> Response[str]:
        report = await service.full(**period.kwargs())
        name = f"report-{report.period.start}-{report.period.end}.csv"
        return _download(report_csv(report), CSV, name)

    @get("/report.html", summary="The whole report, printable", media_type=MediaType.HTML)
    async def report_as_html(
        self,
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> Response[str]:
        report = await service.full(**period.kwargs())
        return Response(report_html(report), media_type=MediaType.HTML)

    @post(
        "/runs",
        summary="Store the last complete half-year's report now (201), or return the stored "
        "one (200)",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_200_OK: ResponseSpec(ReportRunOut, description="The stored report for the period")
        },
    )
    async def generate_run(self, service: NamedDependency[ReportService]) -> Response[ReportRunOut]:
        run, new = await service.generate()
        return Response(run_out(run), status_code=HTTP_201_CREATED if new else HTTP_200_OK)

    @get("/runs", summary="The stored six-monthly reports, newest period first")
    async def runs(self, service: NamedDependency[ReportService]) -> list[ReportRunOut]:
        return await service.runs()

    @get("/runs/{run_id:uuid}", summary="Download a stored report (format=html or csv)")
    async def run(
        self,
        service: NamedDependency[ReportService],
        run_id: FromPath[uuid.UUID],
        format: FromQuery[Literal["html", "csv"]] = "html",
    ) -> Response[str]:
        run = await service.run(run_id)
        stem = f"{run.kind}-{run.period_start}-{run.period_end}"
        if format == "csv":
            return _download(run.csv, CSV, f"{stem}.csv")
        return _download(run.html, "text/html; charset=utf-8", f"{stem}.html")


def section_csv_handler(key: str, slug: str) -> Any:
    """``/reports/<slug>.csv``: one section's tables as CSV (same figures as the JSON)."""

    @get(
        f"{ReportController.path}/{slug}.csv",
        summary=f"The {slug} report as CSV",
        media_type=CSV,
        tags=["reports"],
        name=f"reports-{slug}-csv",
        dependencies={
            "service": Provide(provide_report_service),
            "period": Provide(provide_period),
        },
    )
    async def handler(
        service: NamedDependency[ReportService],
        period: NamedDependency[Period],
    ) -> Response[str]:
        section = await service.section(key, **period.kwargs())
        name = f"{slug}-{section.period.start}-{section.period.end}.csv"
        return _download(sections_csv([section]), CSV, name)

    return handler


@hookimpl
def register_routes() -> list[Any]:
    return [
        ReportController,
        *(
            section_csv_handler(key, slug)
            for key, slug in (
                ("kpis", "kpis"),
                ("snapshot", "snapshot"),
                ("outcomes", "outcomes"),
                ("waiting_times", "waiting-times"),
            )
        ),
    ]


@hookimpl
def register_jobs() -> list[Any]:
    return [generate_six_monthly_report]


@hookimpl
def register_schedules() -> list[Schedule]:
    return [SCHEDULE]
