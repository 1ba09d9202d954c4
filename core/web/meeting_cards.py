"""One person's card at the meeting: the outcome, the actions agreed (with a named owner),
"Mark done", and escalating the case through a confirmation that asks why.

Each form goes through :func:`core.web.forms.save_form`; HTMX swaps just the card back, and
every form works without JavaScript. A "Mark done" the service refuses comes back as a
plain message beside the action, never a refusal page; the button is offered only where
the write would be allowed (the service's ``writable``, the same decision).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.meetings.schemas import ActionCreate, ActionUpdate, Escalation, ItemUpdate
from core.meetings.services import MeetingService
from core.web import queries
from core.web.context import is_htmx, render
from core.web.forms import FormErrors, form_values, parse_date, save_form
from core.web.meeting_context import (
    CARD_FIELDS,
    MEETING,
    agenda_page,
    item_response,
    meeting_url,
    person_names,
)
from core.web.services import domain_service

ACTION_MESSAGES = {
    "description": "Enter the action agreed",
    "owner_organisation_id": "Select who owns the action",
    "owner_user_id": "Select the named owner from the list",
    "due_on": "Enter a real due date",
}
ESCALATION_MESSAGES = {
    "reason": "Why the case is being escalated must be 2,000 characters or fewer",
    "held_on": "Enter a real date for the complex case meeting",
}


@post(f"{MEETING}/items/{{item_id:uuid}}", include_in_schema=False)
async def item_save(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
    item_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    service = domain_service(MeetingService, db_session, access)

    async def save(data: ItemUpdate) -> None:
        await service.update_item(meeting_id, item_id, data)

    # Only the fields the form sent change: a field left out keeps what was saved.
    await save_form(
        db_session,
        {name: values[name] or None for name in CARD_FIELDS if name in values},
        ItemUpdate,
        errors,
        {"discussion": "Discussion is too long", "outcome": "Outcome is too long"},
        save,
        "outcome",
    )
    return await item_response(request, access, db_session, meeting_id, item_id, errors, values)


@post(f"{MEETING}/items/{{item_id:uuid}}/actions", include_in_schema=False)
async def action_add(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
    item_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("description"):
        errors.add("description", ACTION_MESSAGES["description"])
    owner_user = queries.parse_uuid(values.get("owner_user_id", ""))
    if values.get("owner_user_id") and owner_user is None:
        errors.add("owner_user_id", ACTION_MESSAGES["owner_user_id"])
    organisation = queries.parse_uuid(values.get("owner_organisation_id", ""))
    if organisation is None and owner_user is not None:
        # A named owner alone says which organisation owns the action: their own.
        members = {uid: org for uid, _, org in await queries.members(db_session, actor)}
        organisation = members.get(owner_user)
        if organisation is not None:
            values["owner_organisation_id"] = str(organisation)
    if organisation is None:
        errors.add("owner_organisation_id", ACTION_MESSAGES["owner_organisation_id"])
    due = parse_date(values, "due_on", errors, "Due date")
    service = domain_service(MeetingService, db_session, access)

    async def save(data: ActionCreate) -> None:
        await service.add_action(meeting_id, data)

    await save_form(
        db_session,
        None
        if errors
        else {
            "description": values["description"],
            "owner_organisation_id": str(organisation),
            "owner_user_id": str(owner_user) if owner_user else None,
            "due_on": due.isoformat() if due else None,
            "item_id": str(item_id),
        },
        ActionCreate,
        errors,
        ACTION_MESSAGES,
        save,
        "description",
    )
    return await item_response(request, access, db_session, meeting_id, item_id, errors, values)


@post(f"{MEETING}/actions/{{action_id:uuid}}/done", include_in_schema=False)
async def action_done(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
    action_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    """Mark an action done, from the agenda or from the card of the person it is about.

    The service audits the change, closes the named owner's task, and allows it on a
    closed meeting: actions are followed up after the meeting that agreed them."""
    values = form_values(await request.form())
    errors = FormErrors()
    service = domain_service(MeetingService, db_session, access)
    denied = False

    async def save(data: ActionUpdate) -> None:
        nonlocal denied
        try:
            await service.update_action(meeting_id, action_id, data)
        except PermissionDeniedException:
            denied = True
            raise

    done = await save_form(
        db_session, {"completed": True}, ActionUpdate, errors, {}, save, "completed"
    )
    refused = {} if done else {action_id: done_refusal(errors, denied)}
    back_meeting = queries.parse_uuid(values.get("return_meeting", ""))
    back_item = queries.parse_uuid(values.get("return_item", ""))
    if back_meeting is not None and back_item is not None and (is_htmx(request) or refused):
        return await item_response(
            request,
            access,
            db_session,
            back_meeting,
            back_item,
            FormErrors(),
            values,
            refused=refused,
        )
    if refused:
        return await agenda_page(request, access, db_session, refused=refused)
    return Redirect(back_from_done(actor, values))


def done_refusal(errors: FormErrors, denied: bool) -> str:
    """Plain words: a refused write says what the protocol withholds, never its rule."""
    if denied:
        return (
            "You cannot mark this action done: the sharing protocol does not let your "
            "organisation update this person's case notes."
        )
    return f"You cannot mark this action done: {next(iter(errors.values()), '')}."


def back_from_done(actor: Actor, values: dict[str, str]) -> str:
    """Where "Mark done" returns to: only the agenda or a meeting's card, never a URL taken
    from the form, so the field cannot redirect anywhere else."""
    if values.get("return_to") == "agenda":
        return f"/t/{actor.tenant_slug}/meeting"
    back_meeting = queries.parse_uuid(values.get("return_meeting", ""))
    back_item = queries.parse_uuid(values.get("return_item", ""))
    if back_meeting is not None:
        return meeting_url(actor, back_meeting, f"item-{back_item}" if back_item else "")
    return f"/t/{actor.tenant_slug}/meeting"


async def escalation_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template | Redirect:
    """The confirmation, offered only where the escalation could be sent."""
    actor = access.actor
    meeting = await domain_service(MeetingService, session, access).get(meeting_id)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if (
        item is None
        or not item.writable
        or item.escalated
        or meeting.closed_at is not None
        or meeting.kind != "daily"
    ):
        return Redirect(meeting_url(actor, meeting_id, f"item-{item_id}" if item else ""))
    return render(
        request,
        "pages/meeting_escalate.html",
        actor,
        meeting=meeting,
        item=item,
        person=(await person_names(session, access, {item.person_id})).get(item.person_id),
        values=values,
        errors=errors,
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
    )


@get(f"{MEETING}/items/{{item_id:uuid}}/escalate", include_in_schema=False)
async def item_escalate_confirm(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
    item_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    return await escalation_page(request, access, db_session, meeting_id, item_id, {}, FormErrors())


@post(f"{MEETING}/items/{{item_id:uuid}}/escalate", include_in_schema=False)
async def item_escalate(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
    item_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    # Only the confirmation page's button escalates: a post from anywhere else goes to that
    # page first, so nobody escalates a case without saying why.
    values = form_values(await request.form())
    if values.get("confirm") != "yes":
        return Redirect(f"{meeting_url(actor, meeting_id)}/items/{item_id}/escalate")
    errors = FormErrors()
    # Checked here too (the service says the same), so a bad date and a missing reason are
    # both named at once, in the order of the page.
    if not values.get("reason"):
        errors.add("reason", "Enter why the case is being escalated")
    held_on = parse_date(values, "held_on", errors, "Date of the complex case meeting")
    service = domain_service(MeetingService, db_session, access)

    async def save(data: Escalation) -> None:
        await service.escalate(meeting_id, item_id, data)

    if await save_form(
        db_session,
        {"reason": values.get("reason") or None, "held_on": held_on and held_on.isoformat()},
        Escalation,
        errors,
        ESCALATION_MESSAGES,
        save,
        "reason",
    ):
        return Redirect(meeting_url(actor, meeting_id, f"item-{item_id}"))
    return await escalation_page(request, access, db_session, meeting_id, item_id, values, errors)


HANDLERS = [item_save, action_add, action_done, item_escalate_confirm, item_escalate]
