"""Release planning on the record: the liberation date, and the recovery plan's actions."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.errors import not_found
from core.persons.schemas import PersonUpdate
from core.persons.services import PersonService
from core.plans.schemas import ActionCreate as PlanActionCreate
from core.plans.schemas import ActionUpdate as PlanActionUpdate
from core.plans.services import PlanService
from core.web import queries
from core.web.forms import (
    FormErrors,
    form_values,
    parse_date,
    save_form,
)
from core.web.record.common import PERSON, date_values, form_page, person_url
from core.web.services import domain_service


@get(f"{PERSON}/liberation", include_in_schema=False)
async def liberation_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    person, _ = await PersonService(db_session, access).get(person_id)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/liberation_form.html",
        date_values("liberation_date", person.liberation_date),
        FormErrors(),
    )


@post(f"{PERSON}/liberation", include_in_schema=False)
async def liberation_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    day = parse_date(values, "liberation_date", errors, "Liberation date")

    async def save(data: PersonUpdate) -> None:
        await PersonService(db_session, access).update(person_id, data)

    if await save_form(
        db_session,
        {"liberation_date": day.isoformat() if day else None},
        PersonUpdate,
        errors,
        {"liberation_date": "Liberation date must be a real date"},
        save,
        "liberation_date",
    ):
        return Redirect(person_url(actor, person_id, "liberation"))
    return await form_page(
        request, access, db_session, person_id, "pages/liberation_form.html", values, errors
    )


PLAN_ACTION_MESSAGES = {
    "description": "Enter the action",
    "owner_organisation_id": "Select who owns the action",
    "due_on": "Enter a real due date",
}


async def plan_action_context(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    orgs = await queries.organisations(session, actor)
    return {"org_options": [(str(o.id), o.name) for o in orgs]}


@get(f"{PERSON}/plans/{{plan_id:uuid}}/actions/new", include_in_schema=False)
async def plan_action_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
) -> Template:
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/plan_action_form.html",
        {"owner_organisation_id": str(actor.organisation_id)},
        FormErrors(),
        plan_id=plan_id,
        **await plan_action_context(db_session, actor),
    )


@post(f"{PERSON}/plans/{{plan_id:uuid}}/actions/new", include_in_schema=False)
async def plan_action_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("description"):
        errors.add("description", PLAN_ACTION_MESSAGES["description"])
    if queries.parse_uuid(values.get("owner_organisation_id", "")) is None:
        errors.add("owner_organisation_id", PLAN_ACTION_MESSAGES["owner_organisation_id"])
    due = parse_date(values, "due_on", errors, "Due date")
    data = {
        "description": values.get("description"),
        "owner_organisation_id": values.get("owner_organisation_id"),
        "due_on": due.isoformat() if due else None,
    }

    async def save(action: PlanActionCreate) -> None:
        service = domain_service(PlanService, db_session, access)
        plan = await service.get(plan_id)
        if plan.person_id != person_id:
            raise not_found("Plan")
        await service.add_action(plan_id, action)

    if await save_form(
        db_session, data, PlanActionCreate, errors, PLAN_ACTION_MESSAGES, save, "description"
    ):
        return Redirect(person_url(actor, person_id, "plan_action") + "#plan")
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/plan_action_form.html",
        values,
        errors,
        plan_id=plan_id,
        **await plan_action_context(db_session, actor),
    )


@post(f"{PERSON}/plans/{{plan_id:uuid}}/actions/{{action_id:uuid}}/done", include_in_schema=False)
async def plan_action_done(
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
    action_id: FromPath[uuid.UUID],
) -> Redirect:
    service = domain_service(PlanService, db_session, access)
    if (await service.get(plan_id)).person_id != person_id:
        raise not_found("Plan")
    await service.update_action(plan_id, action_id, PlanActionUpdate(completed=True))
    return Redirect(person_url(actor, person_id, "plan_action_done") + "#plan")
