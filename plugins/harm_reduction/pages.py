"""/t/{tenant}/harm-reduction/overdose-risk: the first two weeks after release; and the
naloxone supply form, which records the kit through ``HarmReductionService.record_supply``
(the same rules as the API: one first kit, a reason for a repeat), so the panel's count and
the overdose-risk list show it. A "Naloxone supply" intervention is only a timeline entry."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from core.web.forms import FormErrors, form_values, parse_date, save_form, uk_moment
from core.web.record import date_values, form_page, person_url
from plugins.harm_reduction.common import OVERDOSE_RISK_DAYS
from plugins.harm_reduction.models import KitType, RepeatReason, Supply
from plugins.harm_reduction.schemas import SupplyCreate
from plugins.harm_reduction.services import HarmReductionService

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


NALOXONE = "/t/{tenant:str}/harm-reduction/persons/{person_id:uuid}/naloxone"
NALOXONE_TEMPLATE = "harm_reduction/naloxone_form.html"
SUPPLY_MESSAGES = {
    "supplied_at": "Enter the date the kit was given",
    "kit_type": "Select the kind of kit",
    "supply": "Select whether this is their first kit or a repeat",
    "repeat_reason": "Select why they needed another kit",
    "notes": "Notes must be 2,000 characters or fewer",
}


def supply_options() -> dict[str, list[tuple[str, str]]]:
    def label(value: str) -> str:
        return value.replace("_", " ").capitalize()

    return {
        "kit_types": [(k.value, f"{label(k.value)} kit") for k in KitType],
        "supplies": [(s.value, f"{label(s.value)} kit") for s in Supply],
        "reasons": [(r.value, label(r.value)) for r in RepeatReason],
    }


def supplied_moment(day: date) -> datetime:
    """A kit given today was given by now (a midday default would be in the future)."""
    return min(uk_moment(day, None), clock.now())


@get(NALOXONE, include_in_schema=False)
async def naloxone_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    HarmReductionService(db_session, access)  # 404 where the plugin is off
    values = date_values("supplied_at", clock.today())
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        NALOXONE_TEMPLATE,
        values,
        FormErrors(),
        **supply_options(),
    )


@post(NALOXONE, include_in_schema=False)
async def naloxone_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    service = HarmReductionService(db_session, access)  # 404 where the plugin is off
    values = form_values(await request.form())
    errors = FormErrors()
    day = parse_date(values, "supplied_at", errors, "The date the kit was given")
    if day is None and not errors:
        errors.add("supplied_at", SUPPLY_MESSAGES["supplied_at"])
    data = {
        "person_id": str(person_id),
        "supplied_at": supplied_moment(day).isoformat() if day else None,
        "kit_type": values.get("kit_type", ""),
        "supply": values.get("supply", ""),
        "repeat_reason": values.get("repeat_reason") or None,
        "notes": values.get("notes") or None,
    }
    if values.get("supply") != Supply.REPEAT:
        data["repeat_reason"] = None  # the reason select is only for a repeat kit

    async def save(supply: SupplyCreate) -> None:
        await service.record_supply(supply)

    if await save_form(db_session, data, SupplyCreate, errors, SUPPLY_MESSAGES, save, "supply"):
        return Redirect(person_url(access.actor, person_id) + "#panel-harm_reduction")
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        NALOXONE_TEMPLATE,
        values,
        errors,
        **supply_options(),
    )


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[overdose_risk_page, naloxone_form, naloxone_submit],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
