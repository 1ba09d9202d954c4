"""The lead's national-return page: ``/t/{tenant}/returns``.

The lead picks a month (the month just ended by default), sees what the national system would
reject row by row, and downloads the CSV from the API's own endpoint, which the page session
authenticates, so the file holds exactly the rows the page checked. The service decides who
may (the lead of a partnership in the return's nation) and audits every run.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.errors import RuleViolation
from core.hooktypes import NavItem
from core.returns.extracts import NATION_OF
from core.returns.returns_service import RETURN_NAMES, NationalReturnService
from core.web.context import PAGE_EXCEPTION_HANDLERS, render

URL = "/t/{tenant:str}/returns"


def return_of(nation: str) -> str | None:
    """The return a partnership in ``nation`` files (Wales and others: none here yet)."""
    return next((kind for kind, where in NATION_OF.items() if where == nation), None)


@get(URL, include_in_schema=False)
async def returns_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    month: Annotated[str | None, QueryParameter(max_length=7)] = None,
) -> Template:
    kind = return_of(actor.nation)
    service = NationalReturnService(
        db_session, access, request.app.state.settings.security.secret_key
    )
    if kind is None:
        return render(request, "returns/filing.html", actor, kind=None, summary=None)
    errors: dict[str, str] = {}
    try:
        summary = await service.completeness(kind, month or None)
    except RuleViolation as refused:
        if month is None:
            raise
        errors["month"] = str(refused.detail)
        summary = await service.completeness(kind, None)
    chosen = f"{summary.period_start:%Y-%m}"
    return render(
        request,
        "returns/filing.html",
        actor,
        status_code=400 if errors else 200,
        kind=kind,
        name=RETURN_NAMES[kind],
        summary=summary,
        month=month if errors else chosen,
        download=f"/api/v1/t/{actor.tenant_slug}/returns/{kind}/extract.csv?month={chosen}",
        errors=errors,
        problem_columns=sorted({p.column for p in summary.problems}),
    )


def filing_router() -> Router:
    return Router(
        path="/",
        route_handlers=[returns_page],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


NAVIGATION = (
    NavItem(label="National return", path="returns", order=75, roles=("partnership_lead",)),
)
