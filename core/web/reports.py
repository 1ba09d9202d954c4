"""The reports page: ``/t/{tenant}/reports``.

The partnership lead and analysts choose a period (and optionally one partner) and read
the report's sections as tables; the CSV and printable downloads are the API's own
endpoints, which the page session authenticates, so a download holds exactly what the page
showed. Below, the stored six-monthly reports, and for the lead a button that stores the
latest one now rather than waiting for the night's job.

Every figure comes from :class:`ReportService`, which checks ``reports, read``, suppresses
small numbers and audits the run; a member without the permission gets the plain 403 page.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.hookspecs import hookimpl
from core.hooktypes import NavItem
from core.reports.charts import outcomes_chart
from core.reports.schemas import FullReport
from core.reports.services import ReportService
from core.web import queries
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from core.web.forms import FormErrors, form_values, parse_date, rule_errors

TENANT = "/t/{tenant:str}"
REPORTS = f"{TENANT}/reports"

NAVIGATION: tuple[NavItem, ...] = (
    NavItem(label="Reports", path="reports", order=70, roles=("partnership_lead", "analyst")),
)

# The API's per-section CSV downloads: {section key: path slug} (core/reports/controllers.py).
SECTION_CSV = {
    "kpis": "kpis",
    "snapshot": "snapshot",
    "outcomes": "outcomes",
    "waiting_times": "waiting-times",
}
DATE_PARTS = ("day", "month", "year")
ORGANISATION_MESSAGE = "Select a partner organisation from the list"


def report_service(
    request: Request[Any, Any, Any], session: AsyncSession, access: Access
) -> ReportService:
    return ReportService(session, access, request.app.state.plugin_manager)


def date_values(name: str, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def typed_date(values: dict[str, str], name: str) -> bool:
    return any(values.get(f"{name}-{part}") for part in DATE_PARTS)


def api_query(report: FullReport, exact: bool) -> str:
    """The period as the API's query, so each download holds the figures on the page."""
    params: dict[str, str] = {
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),
    }
    if report.period.organisation_id is not None:
        params["organisation_id"] = str(report.period.organisation_id)
    if exact:
        params["exact"] = "true"
    return urlencode(params)


@get(REPORTS, include_in_schema=False)
async def reports_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    made: Annotated[uuid.UUID | None, QueryParameter()] = None,
    new: Annotated[int | None, QueryParameter(ge=0, le=1)] = None,
) -> Template:
    # As the API does: nothing is read, not even the partners' names, without the permission.
    await access.require_tenant("reports", "read")
    service = report_service(request, db_session, access)
    is_lead = actor.has_role("partnership_lead")
    values = form_values(request.query_params)
    errors = FormErrors()
    start = parse_date(values, "start", errors, "Start date")
    end = parse_date(values, "end", errors, "End date")
    organisations = await queries.organisations(db_session, actor)
    options = [(str(o.id), o.name) for o in organisations]
    organisation_id = None
    if values.get("organisation"):
        if values["organisation"] in dict(options):
            organisation_id = uuid.UUID(values["organisation"])
        else:
            errors.add("organisation", ORGANISATION_MESSAGE)
    # Only the lead is offered exact figures; an analyst who asks in the address gets the
    # service's 403, which names the rule.
    exact = values.get("exact") == "yes"
    report = None
    if not errors:
        try:
            report = await service.full(
                start=start, end=end, organisation_id=organisation_id, exact=exact
            )
        except HTTPException as exc:
            if exc.status_code != 422:
                raise
            await db_session.rollback()
            rule_errors(exc, errors, "start")
    if report is not None:
        # The period the service settled on (the current half-year by default) fills the
        # dates left blank, so the form always says what the tables are for.
        for name, day in (("start", report.period.start), ("end", report.period.end)):
            if not typed_date(values, name):
                values |= date_values(name, day)
    runs = await service.runs()
    made_run = next((r for r in runs if r.id == made), None) if made else None
    charts = {
        section.key: Markup(outcomes_chart(section))  # noqa: S704 - built from escaped parts
        for section in (report.sections if report else [])
        if section.key == "outcomes"
    }
    api = f"/api/v1/t/{actor.tenant_slug}/reports"
    return render(
        request,
        "pages/reports.html",
        actor,
        values=values,
        errors=errors,
        organisations=options,
        is_lead=is_lead,
        exact=exact and report is not None and not report.suppressed,
        report=report,
        charts=charts,
        section_csv=SECTION_CSV,
        api=api,
        query=api_query(report, exact) if report is not None else "",
        runs=runs,
        made_run=made_run,
        made_new=new == 1,
        tenant_name=await queries.tenant_name(db_session, actor),
        status_code=400 if errors else 200,
    )


@post(f"{REPORTS}/runs", include_in_schema=False)
async def make_six_monthly_report(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Redirect:
    # The service refuses anyone but the lead (403 page); stored once per half-year.
    run, new = await report_service(request, db_session, access).generate()
    return Redirect(f"/t/{actor.tenant_slug}/reports?made={run.id}&new={int(new)}#six-monthly")


HANDLERS = [reports_page, make_six_monthly_report]


@hookimpl
def register_routes() -> list[Any]:
    return [
        Router(
            path="/",
            route_handlers=HANDLERS,
            exception_handlers=PAGE_EXCEPTION_HANDLERS,
            include_in_schema=False,
        )
    ]


@hookimpl
def register_navigation() -> list[NavItem]:
    return list(NAVIGATION)
