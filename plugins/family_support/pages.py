"""/t/{tenant}/family-support/family-days: upcoming family days, and who is due one."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from core.web.queries import person_names
from plugins.family_support.common import DEFAULT_DUE_WEEKS
from plugins.family_support.services import FamilySupportService

# One long page; the API pages through more.
PAGE_ROWS = 200


@get("/t/{tenant:str}/family-support/family-days", include_in_schema=False)
async def family_days_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    service = FamilySupportService(db_session, access)  # 404 where the plugin is off
    days = await service.list_family_days(
        start=None, end=None, status=None, person_id=None, limit=PAGE_ROWS, cursor=None
    )
    due = await service.due_for_family_day(weeks=DEFAULT_DUE_WEEKS, limit=PAGE_ROWS, cursor=None)
    names = await person_names(
        db_session, access, {d.person_id for d in days.items}, "family_support_family_days"
    )
    return render(
        request,
        "family_support/family_days.html",
        access.actor,
        days=days.items,
        names=names,
        due=due.items,
        weeks=DEFAULT_DUE_WEEKS,
    )


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[family_days_page],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
