"""/api/v1/t/{tenant}/persons/{id}/return-details"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get, patch
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.hookspecs import hookimpl
from core.hooktypes import NavItem, PersonPanel
from core.returns.extracts import ReturnSummary
from core.returns.filing_pages import NAVIGATION, filing_router
from core.returns.pages import page_router, return_details_panel
from core.returns.returns_service import NationalReturnService
from core.returns.schemas import ReturnDetailsOut, ReturnDetailsUpdate
from core.returns.services import ReturnDetailsService


async def provide_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> ReturnDetailsService:
    return ReturnDetailsService(db_session, access)


class ReturnDetailsController(Controller):
    path = "/api/v1/t/{tenant:str}/persons/{person_id:uuid}/return-details"
    tags = ["national returns"]
    dependencies = {"service": Provide(provide_service)}

    @get("/", summary="What the national returns need: each field within the protocol (audited)")
    async def get_return_details(
        self, service: NamedDependency[ReturnDetailsService], person_id: FromPath[uuid.UUID]
    ) -> ReturnDetailsOut:
        return await service.get(person_id)

    @patch("/", summary="Record return details; only the fields given change")
    async def update_return_details(
        self,
        service: NamedDependency[ReturnDetailsService],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[ReturnDetailsUpdate],
    ) -> ReturnDetailsOut:
        return await service.update(person_id, data)


async def provide_return_service(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access], state: State
) -> NationalReturnService:
    return NationalReturnService(db_session, access, state.settings.security.secret_key)


Month = Annotated[str | None, QueryParameter(pattern=r"^\d{4}-\d{2}$", max_length=7)]


class NationalReturnController(Controller):
    path = "/api/v1/t/{tenant:str}/returns"
    tags = ["national returns"]
    dependencies = {"service": Provide(provide_return_service)}

    @get(
        "/{kind:str}",
        summary="A month's national return (ndtms or daisy): rows, people, blank and "
        "withheld fields per column, to fix before filing",
    )
    async def return_completeness(
        self,
        service: NamedDependency[NationalReturnService],
        kind: FromPath[str],
        month: Month = None,
    ) -> ReturnSummary:
        return await service.completeness(kind, month)

    @get(
        "/{kind:str}/extract.csv",
        summary="A month's national return as CSV: one row per treatment open in the month",
        media_type="text/csv",
    )
    async def return_extract(
        self,
        service: NamedDependency[NationalReturnService],
        kind: FromPath[str],
        month: Month = None,
    ) -> Response[str]:
        body, named = await service.csv(kind, month)
        return Response(
            body,
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{kind}-{named}.csv"',
                "Cache-Control": "no-store",
            },
        )


@hookimpl
def register_routes() -> list[Any]:
    return [ReturnDetailsController, NationalReturnController, page_router(), filing_router()]


@hookimpl
def register_navigation() -> list[NavItem]:
    return list(NAVIGATION)


@hookimpl
def register_person_panels() -> list[PersonPanel]:
    # Shown to anyone who may see the person; each field only where its category may be read.
    return [
        PersonPanel(
            name="return_details",
            title="For the national returns",
            category="identity",
            template="returns/panel.html",
            load=return_details_panel,
            order=90,
        )
    ]
