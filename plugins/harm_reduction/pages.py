"""/t/{tenant}/harm-reduction/overdose-risk: the first two weeks after release."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from plugins.harm_reduction.services import OVERDOSE_RISK_DAYS, HarmReductionService

PAGE_ROWS = 200


@get("/t/{tenant:str}/harm-reduction/overdose-risk", include_in_schema=False)
async def overdose_risk_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    service = HarmReductionService(db_session, access)  # 404 where the plugin is off
    page = await service.overdose_risk(without_naloxone=False, limit=PAGE_ROWS, cursor=None)
    return render(
        request,
        "harm_reduction/overdose_risk.html",
        access.actor,
        people=page.items,
        days=OVERDOSE_RISK_DAYS,
    )


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[overdose_risk_page],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
