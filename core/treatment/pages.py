"""The record's treatment panel and its three forms: start a treatment, end or change
one, and record the goal. Each goes through the same service as the API."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.errors import not_found
from core.treatment.history import treatment_history
from core.treatment.models import (
    CATEGORY,
    EXIT_LABELS,
    GOAL_LABELS,
    MODALITY_LABELS,
    ExitReason,
    TreatmentModality,
)
from core.treatment.schemas import GoalSet, ModalityChange, ModalityEnd, ModalityStart
from core.treatment.services import TreatmentService
from core.web.context import PAGE_EXCEPTION_HANDLERS
from core.web.forms import FormErrors, form_values, parse_date, save_form
from core.web.record import date_values, form_page, person_url

BASE = "/t/{tenant:str}/persons/{person_id:uuid}/treatment"
ANCHOR = "#panel-treatment"

MODALITY_OPTIONS = list(MODALITY_LABELS.items())
GOAL_OPTIONS = list(GOAL_LABELS.items())
EXIT_OPTIONS = [(k, v) for k, v in EXIT_LABELS.items() if k != ExitReason.CHANGED_MODALITY]

START_MESSAGES = {
    "modality": "Select the treatment",
    "started_on": "Enter the date the treatment started",
    "notes": "Notes must be 2,000 characters or fewer",
}
GOAL_MESSAGES = {
    "goal": "Select their treatment goal",
    "set_on": "Enter the date the goal was agreed",
    "reason": "Reasons must be 2,000 characters or fewer",
}
END_MESSAGES = {
    "outcome": "Select whether the treatment ended or changed",
    "ended_on": "Enter the date the treatment ended",
    "changed_on": "Enter the date the treatment changed",
    "exit_reason": "Select why the treatment ended",
    "to": "Select the treatment they moved to",
    "notes": "Notes must be 2,000 characters or fewer",
}


async def treatment_panel(
    session: AsyncSession, access: Access, person_id: uuid.UUID
) -> dict[str, Any]:
    """The panel's context: the history (an audited read) and which forms to offer."""
    history = await treatment_history(session, access.actor.tenant_id, person_id)
    record(
        session,
        access.actor,
        "read",
        "treatment_history",
        person_id,
        person_id=person_id,
        detail={"modalities": len(history.modalities), "goals": len(history.goals)},
    )
    writable = CATEGORY in await access.writable_categories(person_id)
    await session.commit()
    return {
        "history": history,
        "can_write": writable,
        "own_organisation_id": access.actor.organisation_id,
    }


def _date(values: dict[str, str], name: str, errors: FormErrors, label: str) -> str | None:
    day = parse_date(values, name, errors, label)
    if day is None and name not in errors:
        errors.add(name, {**START_MESSAGES, **GOAL_MESSAGES, **END_MESSAGES}[name])
    return day.isoformat() if day else None


@get(f"{BASE}/start", include_in_schema=False)
async def start_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    await access.require(CATEGORY, "write", person_id)
    values = date_values("started_on", clock.today())
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "treatment/start_form.html",
        values,
        FormErrors(),
        modalities=MODALITY_OPTIONS,
    )


@post(f"{BASE}/start", include_in_schema=False)
async def start_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    data = {
        "person_id": str(person_id),
        "modality": values.get("modality", ""),
        "started_on": _date(values, "started_on", errors, "The start date"),
        "notes": values.get("notes") or None,
    }
    service = TreatmentService(db_session, access)
    if await save_form(
        db_session, data, ModalityStart, errors, START_MESSAGES, service.start, "modality"
    ):
        return Redirect(person_url(access.actor, person_id) + ANCHOR)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "treatment/start_form.html",
        values,
        errors,
        modalities=MODALITY_OPTIONS,
    )


@get(f"{BASE}/goal", include_in_schema=False)
async def goal_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    await access.require(CATEGORY, "write", person_id)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "treatment/goal_form.html",
        date_values("set_on", clock.today()),
        FormErrors(),
        goals=GOAL_OPTIONS,
    )


@post(f"{BASE}/goal", include_in_schema=False)
async def goal_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    data = {
        "person_id": str(person_id),
        "goal": values.get("goal", ""),
        "set_on": _date(values, "set_on", errors, "The date"),
        "reason": values.get("reason") or None,
    }
    service = TreatmentService(db_session, access)
    if await save_form(db_session, data, GoalSet, errors, GOAL_MESSAGES, service.set_goal, "goal"):
        return Redirect(person_url(access.actor, person_id) + ANCHOR)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "treatment/goal_form.html",
        values,
        errors,
        goals=GOAL_OPTIONS,
    )


async def _modality(
    session: AsyncSession, access: Access, person_id: uuid.UUID, modality_id: uuid.UUID
) -> TreatmentModality:
    row = await session.get(TreatmentModality, (access.actor.tenant_id, modality_id))
    if row is None or row.person_id != person_id:
        raise not_found("Treatment")
    return row


def _end_context(row: TreatmentModality) -> dict[str, Any]:
    return {
        "modality": row,
        "modality_label": MODALITY_LABELS.get(row.modality, row.modality),
        "exits": EXIT_OPTIONS,
        "modalities": [(k, v) for k, v in MODALITY_OPTIONS if k != row.modality],
    }


@get(f"{BASE}/{{modality_id:uuid}}/end", include_in_schema=False)
async def end_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    modality_id: FromPath[uuid.UUID],
) -> Template:
    await access.require(CATEGORY, "write", person_id)
    row = await _modality(db_session, access, person_id, modality_id)
    today = clock.today()
    values = {**date_values("ended_on", today), **date_values("changed_on", today)}
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "treatment/end_form.html",
        values,
        FormErrors(),
        **_end_context(row),
    )


@post(f"{BASE}/{{modality_id:uuid}}/end", include_in_schema=False)
async def end_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    modality_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    row = await _modality(db_session, access, person_id, modality_id)
    context = _end_context(row)
    values = form_values(await request.form())
    errors = FormErrors()
    service = TreatmentService(db_session, access)
    outcome = values.get("outcome")
    saved = False
    if outcome == "changed":
        data = {
            "to": values.get("to", ""),
            "changed_on": _date(values, "changed_on", errors, "The date"),
            "notes": values.get("notes") or None,
        }

        async def change(struct: ModalityChange) -> None:
            await service.change(modality_id, struct)

        saved = await save_form(
            db_session, data, ModalityChange, errors, END_MESSAGES, change, "to"
        )
    elif outcome == "ended":
        data = {
            "exit_reason": values.get("exit_reason", ""),
            "ended_on": _date(values, "ended_on", errors, "The end date"),
            "notes": values.get("notes") or None,
        }

        async def end(struct: ModalityEnd) -> None:
            await service.end(modality_id, struct)

        saved = await save_form(
            db_session, data, ModalityEnd, errors, END_MESSAGES, end, "exit_reason"
        )
    else:
        errors.add("outcome", END_MESSAGES["outcome"])
    if saved:
        return Redirect(person_url(access.actor, person_id) + ANCHOR)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "treatment/end_form.html",
        values,
        errors,
        **context,
    )


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[start_form, start_submit, goal_form, goal_submit, end_form, end_submit],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
