"""The record's "For the national returns" panel and its form: each field shown where its
category may be read, and offered where it may be written."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.returns.models import (
    RETURN_FIELD_CATEGORIES,
    Ethnicity,
    Injecting,
    LegalStatus,
    Sex,
    Substance,
    YesNo,
)
from core.returns.schemas import ReturnDetailsUpdate
from core.returns.services import ReturnDetailsService
from core.web.context import PAGE_EXCEPTION_HANDLERS
from core.web.filters import humanise
from core.web.forms import FormErrors, form_values, parse_date, save_form
from core.web.record import date_values, form_page, person_url

URL = "/t/{tenant:str}/persons/{person_id:uuid}/return-details"
ANCHOR = "#panel-return_details"

LABELS: dict[str, str] = {
    "sex": "Sex",
    "ethnicity": "Ethnic group",
    "disability": "Disability",
    "pregnant": "Pregnant",
    "parental_responsibility": "Parental responsibility for a child",
    "local_authority": "Local authority of residence",
    "legal_status": "Legal status",
    "conditional_release_date": "Conditional release date (CRD)",
    "hdc_eligibility_date": "Home detention curfew eligibility date (HDC)",
    "parole_eligibility_date": "Parole eligibility date (PED)",
    "problem_substance_1": "Problem substance 1 (main)",
    "problem_substance_2": "Problem substance 2",
    "problem_substance_3": "Problem substance 3",
    "injecting": "Injecting",
}
CHOICES: dict[str, type[StrEnum]] = {
    "sex": Sex,
    "ethnicity": Ethnicity,
    "disability": YesNo,
    "pregnant": YesNo,
    "parental_responsibility": YesNo,
    "legal_status": LegalStatus,
    "problem_substance_1": Substance,
    "problem_substance_2": Substance,
    "problem_substance_3": Substance,
    "injecting": Injecting,
}
DATES = ("conditional_release_date", "hdc_eligibility_date", "parole_eligibility_date")
# England states release as CRD/HDC/PED; in Scotland the custody record's liberation date.
ENGLAND_ONLY = frozenset(DATES)
MESSAGES = {name: f"Check the answer for {label.lower()}" for name, label in LABELS.items()}


def shown_fields(nation: str) -> list[str]:
    return [f for f in LABELS if nation == "england" or f not in ENGLAND_ONLY]


def options(name: str) -> list[tuple[str, str]]:
    return [(c.value, humanise(c.value)) for c in CHOICES[name]]


async def return_details_panel(
    session: AsyncSession, access: Access, person_id: uuid.UUID
) -> dict[str, Any]:
    details = await ReturnDetailsService(session, access).get(person_id)
    writable = await access.writable_categories(person_id)
    fields = shown_fields(access.actor.nation)
    return {
        "rows": [(LABELS[f], getattr(details, f)) for f in fields if f not in details.withheld],
        "withheld": [LABELS[f] for f in fields if f in details.withheld],
        "can_write": any(RETURN_FIELD_CATEGORIES[f] in writable for f in fields),
    }


async def _page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    writable = await access.writable_categories(person_id)
    editable = [
        f for f in shown_fields(access.actor.nation) if RETURN_FIELD_CATEGORIES[f] in writable
    ]
    return await form_page(
        request,
        access,
        session,
        person_id,
        "returns/details_form.html",
        values,
        errors,
        fields=[(f, LABELS[f], options(f) if f in CHOICES else None, f in DATES) for f in editable],
    )


@get(URL, include_in_schema=False)
async def details_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    current = await ReturnDetailsService(db_session, access).get(person_id)
    values: dict[str, str] = {}
    for name in LABELS:
        value = getattr(current, name)
        if value is None:
            continue
        if name in DATES:
            values.update(date_values(name, value))
        else:
            values[name] = str(value)
    return await _page(request, access, db_session, person_id, values, FormErrors())


@post(URL, include_in_schema=False)
async def details_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    writable = await access.writable_categories(person_id)
    data: dict[str, Any] = {}
    # Only the fields this user was offered are sent: a blank answer clears the field.
    for name in shown_fields(access.actor.nation):
        if RETURN_FIELD_CATEGORIES[name] not in writable:
            continue
        if name in DATES:
            day = parse_date(values, name, errors, LABELS[name])
            data[name] = day.isoformat() if day else None
        else:
            data[name] = values.get(name) or None
    service = ReturnDetailsService(db_session, access)

    async def save(update: ReturnDetailsUpdate) -> None:
        await service.update(person_id, update)

    field = next(iter(data), "sex")
    if await save_form(db_session, data, ReturnDetailsUpdate, errors, MESSAGES, save, field):
        return Redirect(person_url(access.actor, person_id) + ANCHOR)
    return await _page(request, access, db_session, person_id, values, errors)


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[details_form, details_submit],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
