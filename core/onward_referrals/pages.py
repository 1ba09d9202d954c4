"""The record's onward-referrals panel, the form that sends one and the form that records
what became of it; both through the same service as the API."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.episodes.models import Episode
from core.errors import not_found
from core.onward_referrals.models import (
    APPOINTMENT_SERVICES,
    NEXT_STATUSES,
    ROUTE_LABELS,
    SERVICE_CATEGORIES,
    SERVICE_LABELS,
    STATUS_LABELS,
)
from core.onward_referrals.schemas import OnwardReferralCreate, OnwardStatusChange
from core.onward_referrals.services import OnwardReferralService
from core.web.context import PAGE_EXCEPTION_HANDLERS
from core.web.forms import FormErrors, form_values, parse_date, save_form
from core.web.record import date_values, form_page, person_url

BASE = "/t/{tenant:str}/persons/{person_id:uuid}/onward-referrals"
ANCHOR = "#panel-onward_referrals"
PANEL_ROWS = 50

MESSAGES = {
    "service": "Select the service the referral is to",
    "route": "Select which way the referral went",
    "sent_on": "Enter the date the referral was sent",
    "appointment_on": "Enter a real date for the appointment",
    "receiving_service": "The service's name must be 200 characters or fewer",
    "reason": "The reason must be 2,000 characters or fewer",
    "status": "Select what became of the referral",
    "on": "Enter the date",
}


async def onward_panel(
    session: AsyncSession, access: Access, person_id: uuid.UUID
) -> dict[str, Any]:
    service = OnwardReferralService(session, access)
    page = await service.list(
        person_id=person_id, service=None, status=None, limit=PANEL_ROWS, cursor=None
    )
    writable = await access.writable_categories(person_id)
    episode_id = await session.scalar(
        select(Episode.id)
        .where(Episode.tenant_id == access.actor.tenant_id, Episode.person_id == person_id)
        .order_by(Episode.opened_at.desc())
        .limit(1)
    )
    return {
        "referrals": page.items,
        "episode_id": episode_id,
        "can_send": any(c in writable for c in SERVICE_CATEGORIES.values()),
        "writable": writable,
        "own_organisation_id": access.actor.organisation_id,
        "next_statuses": NEXT_STATUSES,
    }


def _offered(writable: set[str]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in SERVICE_LABELS.items() if SERVICE_CATEGORIES[k] in writable]


def _date(values: dict[str, str], name: str, errors: FormErrors, required: bool) -> str | None:
    day = parse_date(values, name, errors, "The date")
    if day is None and required and name not in errors:
        errors.add(name, MESSAGES[name])
    return day.isoformat() if day else None


async def _send_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    writable = await access.writable_categories(person_id)
    return await form_page(
        request,
        access,
        session,
        person_id,
        "onward_referrals/send_form.html",
        values,
        errors,
        services=_offered(writable) or list(SERVICE_LABELS.items()),
        routes=list(ROUTE_LABELS.items()),
    )


@get(f"{BASE}/new", include_in_schema=False)
async def send_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    await access.visible_person(person_id)
    return await _send_page(
        request, access, db_session, person_id, date_values("sent_on", clock.today()), FormErrors()
    )


@post(f"{BASE}/new", include_in_schema=False)
async def send_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    data = {
        "person_id": str(person_id),
        "service": values.get("service", ""),
        "route": values.get("route") or None,
        "receiving_service": values.get("receiving_service") or None,
        "reason": values.get("reason") or None,
        "sent_on": _date(values, "sent_on", errors, required=True),
        "appointment_on": _date(values, "appointment_on", errors, required=False),
    }
    if values.get("service") not in APPOINTMENT_SERVICES:
        data["appointment_on"] = None  # only psychology and community treatment give one
    service = OnwardReferralService(db_session, access)
    if await save_form(
        db_session, data, OnwardReferralCreate, errors, MESSAGES, service.create, "service"
    ):
        return Redirect(person_url(access.actor, person_id) + ANCHOR)
    return await _send_page(request, access, db_session, person_id, values, errors)


async def _status_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    referral_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    referral = await OnwardReferralService(session, access).get(referral_id)
    if referral.person_id != person_id:
        raise not_found("Onward referral")
    statuses = [(s, STATUS_LABELS[s]) for s in sorted(NEXT_STATUSES.get(referral.status, ()))]
    return await form_page(
        request,
        access,
        session,
        person_id,
        "onward_referrals/status_form.html",
        values,
        errors,
        referral=referral,
        statuses=statuses,
    )


@get(f"{BASE}/{{referral_id:uuid}}/status", include_in_schema=False)
async def status_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    referral_id: FromPath[uuid.UUID],
) -> Template:
    return await _status_page(
        request,
        access,
        db_session,
        person_id,
        referral_id,
        date_values("on", clock.today()),
        FormErrors(),
    )


@post(f"{BASE}/{{referral_id:uuid}}/status", include_in_schema=False)
async def status_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    referral_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    data = {
        "status": values.get("status", ""),
        "on": _date(values, "on", errors, required=True),
        "reason": values.get("reason") or None,
    }
    service = OnwardReferralService(db_session, access)

    async def save(change: OnwardStatusChange) -> None:
        await service.change_status(referral_id, change)

    if await save_form(db_session, data, OnwardStatusChange, errors, MESSAGES, save, "status"):
        return Redirect(person_url(access.actor, person_id) + ANCHOR)
    return await _status_page(request, access, db_session, person_id, referral_id, values, errors)


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[send_form, send_submit, status_form, status_submit],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
