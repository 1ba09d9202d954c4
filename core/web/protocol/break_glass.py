"""Break-glass pages: the lead's review queue, and a member's request for emergency access.

``/t/{tenant}/break-glass`` is the queue (``protocol, manage``, checked by the service);
``/t/{tenant}/persons/{id}/break-glass`` is where any member asks.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.break_glass import BreakGlassService
from core.authz.schemas import BreakGlassRequest, BreakGlassReview
from core.persons.models import Person
from core.persons.services import PersonService
from core.web import queries
from core.web.context import render
from core.web.filters import humanise
from core.web.forms import FormErrors, convert, form_values, rule_errors
from core.web.protocol.common import PROTOCOL, TENANT

BREAK_GLASS = f"{TENANT}/break-glass"
PERSON_BREAK_GLASS = f"{TENANT}/persons/{{person_id:uuid}}/break-glass"

REVIEW_MESSAGES = {"note": "Enter a review note, in at least 3 characters"}
REQUEST_MESSAGES = {
    "category": "Select the information you need",
    "reason": "Enter why you need emergency access, in at least 3 characters",
    "minutes": "Select how long you need access for",
}
# Break-glass lasts at most three hours (the service's limit); shorter is better.
DURATIONS = (("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours"), ("180", "3 hours"))


async def queue_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    *,
    reviewed: bool,
    errors: FormErrors,
    values: dict[str, str],
    done: bool = False,
    failed_grant: uuid.UUID | None = None,
) -> Template:
    actor = access.actor
    grants = await BreakGlassService(session, access).queue(reviewed=reviewed)
    people = {g.user_id for g in grants} | {g.reviewed_by for g in grants if g.reviewed_by}
    names = await queries.user_names(session, people)
    persons: dict[uuid.UUID, Person] = {}
    if grants:
        rows = await session.scalars(
            select(Person).where(
                Person.tenant_id == actor.tenant_id,
                Person.id.in_({g.person_id for g in grants}),
            )
        )
        persons = {p.id: p for p in rows.all()}
    return render(
        request,
        "pages/break_glass.html",
        actor,
        grants=grants,
        names=names,
        persons=persons,
        reviewed_view=reviewed,
        errors=errors,
        values=values,
        done=done,
        failed_grant=failed_grant,
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
    )


@get(BREAK_GLASS, include_in_schema=False)
async def break_glass_queue(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    show: Annotated[str, QueryParameter(max_length=10)] = "open",
    done: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Template:
    return await queue_page(
        request,
        access,
        db_session,
        reviewed=show == "reviewed",
        errors=FormErrors(),
        values={},
        done=done == "1",
    )


@get(f"{PROTOCOL}/break-glass", include_in_schema=False)
async def break_glass_alias(actor: NamedDependency[Actor]) -> Redirect:
    # The lead's break-glass notification links here (core/authz/break_glass.py).
    return Redirect(f"/t/{actor.tenant_slug}/break-glass")


@post(f"{BREAK_GLASS}/{{grant_id:uuid}}/review", include_in_schema=False)
async def break_glass_review(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    grant_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    data = convert({"note": values.get("note", "")}, BreakGlassReview, errors, REVIEW_MESSAGES)
    if data is not None:
        try:
            await BreakGlassService(db_session, access).review(grant_id, data.note)
        except HTTPException as exc:
            if exc.status_code != 409:
                raise
            await db_session.rollback()
            # Reviewed by someone else meanwhile: it has left this queue, so no field to point at.
            errors.add("", str(exc.detail))
        else:
            return Redirect(f"/t/{actor.tenant_slug}/break-glass?done=1")
    # The queue has one note field per grant: the error and the typed note go to this one.
    return await queue_page(
        request,
        access,
        db_session,
        reviewed=False,
        errors=errors,
        values={"note": values.get("note", "")},
        failed_grant=grant_id,
    )


async def request_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
    opened: Any = None,
) -> Template:
    actor = access.actor
    # The person's identity line, through the audited service (404 when not visible).
    person, readable = await PersonService(session, access).get(person_id)
    withheld = [c for c in access.categories if c not in readable]
    mine = [g for g in await BreakGlassService(session, access).mine() if g.person_id == person_id]
    return render(
        request,
        "pages/break_glass_request.html",
        actor,
        person=person,
        withheld=[(c, humanise(c)) for c in withheld],
        durations=DURATIONS,
        values=values,
        errors=errors,
        grants=mine,
        opened=opened,
        back=f"/t/{actor.tenant_slug}/persons/{person_id}",
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
    )


@get(PERSON_BREAK_GLASS, include_in_schema=False)
async def break_glass_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    return await request_page(
        request, access, db_session, person_id, {"minutes": "60"}, FormErrors()
    )


@post(PERSON_BREAK_GLASS, include_in_schema=False)
async def break_glass_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("category"):
        errors.add("category", REQUEST_MESSAGES["category"])
    if len(values.get("reason", "")) < 3:
        errors.add("reason", REQUEST_MESSAGES["reason"])
    if values.get("minutes") not in dict(DURATIONS):
        errors.add("minutes", REQUEST_MESSAGES["minutes"])
    opened = None
    data = None
    if not errors:
        data = convert(
            {
                "person_id": str(person_id),
                "category": values["category"],
                "reason": values.get("reason", ""),
                "minutes": int(values["minutes"]),
            },
            BreakGlassRequest,
            errors,
            REQUEST_MESSAGES,
        )
    if data is not None:
        try:
            opened = await BreakGlassService(db_session, access).open(data)
        except HTTPException as exc:
            if exc.status_code not in (409, 422):
                raise
            await db_session.rollback()
            rule_errors(exc, errors, "category")
    if opened is not None:
        values = {"minutes": "60"}
    return await request_page(request, access, db_session, person_id, values, errors, opened)


HANDLERS = [
    break_glass_queue,
    break_glass_alias,
    break_glass_review,
    break_glass_form,
    break_glass_submit,
]
