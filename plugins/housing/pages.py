"""/t/{tenant}/housing/board: the housing board as a page, and moving a registration along.

A move posts the row's small form to the same ``HousingService.add_step`` the API uses,
so the pipeline, the dates and the on-liberation-day rule are decided in one place. With
htmx the board's region is swapped in place (the row changes, the banner or the error
summary takes focus); without JavaScript the form posts, and a success redirects back to
the board with its filters, a refusal renders the board again with the error summary.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.persons.models import Person
from core.plugins import require_plugin
from core.web.context import PAGE_EXCEPTION_HANDLERS, is_htmx, render
from core.web.forms import (
    FormErrors,
    convert,
    form_values,
    parse_date,
    rule_errors,
    save_form,
)
from core.web.record import form_page, person_url
from plugins.housing.models import Status
from plugins.housing.rules import ALLOWED, CATEGORY, DEFAULT_BOARD_WEEKS, MAX_BOARD_WEEKS, PLUGIN
from plugins.housing.schemas import BoardItem, HousingCreate, HousingUpdate, StepCreate
from plugins.housing.services import HousingService

# The page shows one long page; the API pages through larger boards.
PAGE_ROWS = 200
# The fields of a row's form; a refusal naming any other field is shown beside the status.
STEP_FIELDS = ("status", "on_date", "note")
STEP_MESSAGES = {
    "status": "Select where the registration moves to",
    "note": "The note must be 500 characters or fewer",
    "on_date": "Enter the date of this step as a real date",
}


def board_url(tenant: str, weeks: int, authority: str, moved: uuid.UUID | None = None) -> str:
    query: dict[str, str] = {"weeks": str(weeks)}
    if authority:
        query["authority"] = authority
    if moved is not None:
        query["moved"] = str(moved)
    anchor = f"#row-{moved}" if moved is not None else ""
    return f"/t/{tenant}/housing/board?{urlencode(query)}{anchor}"


def filters_from(values: Mapping[str, str]) -> tuple[int, str]:
    """The board's filters carried by a row's form; anything odd falls back to the default."""
    text = values.get("weeks", "")
    weeks = int(text) if text.isdigit() else DEFAULT_BOARD_WEEKS
    if not 1 <= weeks <= MAX_BOARD_WEEKS:
        weeks = DEFAULT_BOARD_WEEKS
    return weeks, values.get("authority", "")[:64]


def step_choices(item: BoardItem) -> list[tuple[str, str]]:
    """Where the row may move, the next step along the pipeline first."""
    allowed = list(ALLOWED[Status(item.status)])
    if item.next_action is not None and item.next_action.status in allowed:
        allowed.remove(Status(item.next_action.status))
        allowed.insert(0, Status(item.next_action.status))
    return [(s.value, s.value.replace("_", " ").capitalize()) for s in allowed]


def today_values(today: date) -> dict[str, str]:
    return {
        "on_date-day": str(today.day),
        "on_date-month": str(today.month),
        "on_date-year": str(today.year),
    }


async def writable_people(
    session: AsyncSession, access: Access, person_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """The board's people whose housing this user may write, by the protocol, in one query."""
    if not person_ids or not access.can(CATEGORY, "write"):
        return set()
    rows = await session.scalars(
        select(Person.id).where(
            Person.tenant_id == access.actor.tenant_id,
            Person.id.in_(person_ids),
            access.person_filter(CATEGORY, "write"),
        )
    )
    return set(rows.all())


async def render_board(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    *,
    weeks: int,
    authority: str,
    moved: uuid.UUID | None = None,
    errors: FormErrors | None = None,
    error_row: uuid.UUID | None = None,
    row_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    service = HousingService(session, access)
    authorities = await service.authorities()
    chosen = next((a for a in authorities if str(a.id) == authority), None)
    board = await service.board(
        weeks=weeks,
        local_authority_id=chosen.id if chosen else None,
        limit=PAGE_ROWS,
        cursor=None,
    )
    writable = await writable_people(session, access, [i.person_id for i in board.items])
    today = clock.today()
    defaults = today_values(today)
    choices = {i.person_id: step_choices(i) for i in board.items if i.person_id in writable}
    moved_item = next((i for i in board.items if i.person_id == moved), None)
    template = "housing/board_main.html" if is_htmx(request) else "housing/board.html"
    return render(
        request,
        template,
        access.actor,
        status_code=status_code,
        board=board,
        authorities=authorities,
        values={"weeks": weeks, "authority": str(chosen.id) if chosen else ""},
        max_weeks=MAX_BOARD_WEEKS,
        writable=writable,
        choices=choices,
        default_row_values=defaults,
        moved_item=moved_item,
        errors=errors or FormErrors(),
        error_row=error_row,
        row_values=row_values or {},
    )


@get("/t/{tenant:str}/housing/board", include_in_schema=False)
async def board_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    weeks: Annotated[int, QueryParameter(ge=1, le=MAX_BOARD_WEEKS)] = DEFAULT_BOARD_WEEKS,
    authority: Annotated[str, QueryParameter(max_length=64)] = "",
    moved: FromQuery[uuid.UUID | None] = None,
) -> Template:
    require_plugin(access.actor, PLUGIN)
    return await render_board(
        request, access, db_session, weeks=weeks, authority=authority, moved=moved
    )


@post("/t/{tenant:str}/housing/board/{person_id:uuid}/step", include_in_schema=False)
async def move_along(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    require_plugin(access.actor, PLUGIN)
    values = form_values(await request.form())
    weeks, authority = filters_from(values)
    errors = FormErrors()
    on_date = parse_date(values, "on_date", errors, "The date of this step")
    data = None
    if not errors:
        data = convert(
            {
                "status": values.get("status", ""),
                "on_date": on_date,
                "note": values.get("note") or None,
            },
            StepCreate,
            errors,
            STEP_MESSAGES,
        )
    if data is not None:
        try:
            await HousingService(db_session, access).add_step(person_id, data)
        except HTTPException as exc:
            # Refusals by the rules go back to the board; 403/404 are error pages.
            if exc.status_code not in (409, 422):
                raise
            await db_session.rollback()
            rule_errors(exc, errors, "status")
    if errors:
        # The row's form has no local authority field: such a refusal sits by the status.
        placed = FormErrors()
        for field, message in errors.items():
            placed.add(field if field in STEP_FIELDS else "status", message)
        errors = placed
    elif not is_htmx(request):
        return Redirect(
            board_url(access.actor.tenant_slug, weeks, authority, moved=person_id),
            status_code=HTTP_303_SEE_OTHER,
        )
    return await render_board(
        request,
        access,
        db_session,
        weeks=weeks,
        authority=authority,
        moved=None if errors else person_id,
        errors=errors,
        error_row=person_id if errors else None,
        row_values=values if errors else None,
        # htmx swaps only a 2xx answer; a plain form post is told it failed.
        status_code=HTTP_400_BAD_REQUEST if errors and not is_htmx(request) else 200,
    )


DETAILS = "/t/{tenant:str}/housing/persons/{person_id:uuid}/details"
DETAILS_TEMPLATE = "housing/details_form.html"
DETAILS_MESSAGES = {
    "local_authority_id": "Select a local authority from the list",
    "needs": "Enter the housing needs in 500 characters or fewer",
}


async def details_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    authorities = await HousingService(session, access).authorities()
    return await form_page(
        request,
        access,
        session,
        person_id,
        DETAILS_TEMPLATE,
        values,
        errors,
        authorities=[(str(a.id), a.name) for a in authorities],
    )


@get(DETAILS, include_in_schema=False)
async def details_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    require_plugin(access.actor, PLUGIN)
    # The form is for someone who may change housing: the same check the save makes.
    await access.require(CATEGORY, "write", person_id)
    housing = await HousingService(db_session, access).panel(person_id)
    values = {
        "local_authority_id": str(housing.local_authority_id or "") if housing else "",
        "needs": (housing.needs or "") if housing else "",
    }
    return await details_page(request, access, db_session, person_id, values, FormErrors())


@post(DETAILS, include_in_schema=False)
async def details_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    require_plugin(access.actor, PLUGIN)
    values = form_values(await request.form())
    errors = FormErrors()
    authority = values.get("local_authority_id", "")
    data = {"local_authority_id": authority or None, "needs": values.get("needs") or None}
    service = HousingService(db_session, access)
    await access.require(CATEGORY, "write", person_id)
    # A record opens when a liberation date is set; before that the form opens one.
    existing = await service.panel(person_id)

    async def create(details: HousingCreate) -> None:
        await service.create(person_id, details)

    async def update(details: HousingUpdate) -> None:
        await service.update(person_id, details)

    saved = (
        await save_form(db_session, data, HousingUpdate, errors, DETAILS_MESSAGES, update, "needs")
        if existing is not None
        else await save_form(
            db_session, data, HousingCreate, errors, DETAILS_MESSAGES, create, "needs"
        )
    )
    if saved:
        return Redirect(person_url(access.actor, person_id) + "#panel-housing")
    return await details_page(request, access, db_session, person_id, values, errors)


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[board_page, move_along, details_form, details_submit],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
