"""/t/{tenant}/housing/board: the housing board as a page, for the portal's navigation."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.plugins import require_plugin
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from plugins.housing.services import DEFAULT_BOARD_WEEKS, MAX_BOARD_WEEKS, PLUGIN, HousingService

# The page shows one long page; the API pages through larger boards.
PAGE_ROWS = 200


@get("/t/{tenant:str}/housing/board", include_in_schema=False)
async def board_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    weeks: Annotated[int, QueryParameter(ge=1, le=MAX_BOARD_WEEKS)] = DEFAULT_BOARD_WEEKS,
    authority: Annotated[str, QueryParameter(max_length=64)] = "",
) -> Template:
    require_plugin(access.actor, PLUGIN)
    service = HousingService(db_session, access)
    authorities = await service.authorities()
    chosen = next((a for a in authorities if str(a.id) == authority), None)
    board = await service.board(
        weeks=weeks,
        local_authority_id=chosen.id if chosen else None,
        limit=PAGE_ROWS,
        cursor=None,
    )
    return render(
        request,
        "housing/board.html",
        access.actor,
        board=board,
        authorities=authorities,
        values={"weeks": weeks, "authority": str(chosen.id) if chosen else ""},
        max_weeks=MAX_BOARD_WEEKS,
    )


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[board_page],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
