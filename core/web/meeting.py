"""The daily case meeting (HMP Perth's Persons of Concern Group), in as few clicks as it takes.

Today's agenda is built by the meeting service from new referrals and open actions;
starting the meeting puts everyone on it at once. Each person's outcome and actions are
saved in place (HTMX swaps just that person's section), and work without JavaScript.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import PERSON_VIEW_CATEGORIES, PersonView, project
from core.errors import not_found
from core.meetings.models import MeetingKind
from core.meetings.schemas import (
    ActionCreate,
    ActionUpdate,
    AttendeeCreate,
    ItemCreate,
    ItemUpdate,
    MeetingCreate,
    MeetingOut,
)
from core.meetings.services import MeetingService
from core.persons.models import Person
from core.web import queries
from core.web.context import is_htmx, render
from core.web.forms import FormErrors, form_values, parse_date, rule_errors, save_form
from core.web.services import domain_service

MEETING = "/t/{tenant:str}/meetings/{meeting_id:uuid}"

ACTION_MESSAGES = {
    "description": "Enter the action agreed",
    "owner_organisation_id": "Select who owns the action",
    "due_on": "Enter a real due date",
}


def meeting_url(actor: Actor, meeting_id: uuid.UUID, anchor: str = "") -> str:
    return f"/t/{actor.tenant_slug}/meetings/{meeting_id}" + (f"#{anchor}" if anchor else "")


async def todays_meeting(service: MeetingService, today: date) -> uuid.UUID | None:
    found = await service.list(
        held_from=today, held_to=today, kind=MeetingKind.DAILY, limit=1, cursor=None
    )
    return found.items[0].id if found.items else None


async def person_names(
    session: AsyncSession, access: Access, ids: set[uuid.UUID]
) -> dict[Any, Any]:
    """The people on a meeting whose identity this user may read; others stay unnamed.

    Projected like every other view of a person, so the page gets no field the record
    would withhold."""
    if not ids:
        return {}
    rows = list(
        (
            await session.scalars(
                select(Person).where(
                    Person.tenant_id == access.actor.tenant_id,
                    Person.id.in_(ids),
                    access.person_filter("identity", person_id=Person.id),
                )
            )
        ).all()
    )
    readable = await access.readable_for([p.id for p in rows], PERSON_VIEW_CATEGORIES)
    return {p.id: project(PersonView, readable.get(p.id, set()), p) for p in rows}


@get("/t/{tenant:str}/meeting", include_in_schema=False)
async def meeting_today(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    service = domain_service(MeetingService, db_session, access)
    today = date.today()
    existing = await todays_meeting(service, today)
    if existing is not None:
        return Redirect(meeting_url(actor, existing))
    agenda = await service.agenda(today)
    recent = await service.list(held_from=None, held_to=None, kind=None, limit=10, cursor=None)
    return render(
        request,
        "pages/meeting_agenda.html",
        actor,
        agenda=agenda,
        recent=recent.items,
        tenant_name=await queries.tenant_name(db_session, actor),
    )


@post("/t/{tenant:str}/meeting", include_in_schema=False)
async def meeting_start(
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Redirect:
    """Open today's meeting with everyone on the agenda and the chair as an attendee."""
    service = domain_service(MeetingService, db_session, access)
    today = date.today()
    existing = await todays_meeting(service, today)
    if existing is not None:
        return Redirect(meeting_url(actor, existing))
    agenda = await service.agenda(today)
    meeting = await service.create(MeetingCreate(kind=MeetingKind.DAILY, held_on=today))
    await service.add_attendee(
        meeting.id,
        AttendeeCreate(
            organisation_id=actor.organisation_id, name=actor.display_name, user_id=actor.user_id
        ),
    )
    for entry in agenda.persons:
        why = "; ".join(
            f"New referral ({(r.referral_source or '').replace('_', ' ')})"
            if r.why == "referral"
            else f"Open action: {r.description}"
            for r in entry.reasons
        )
        await service.add_item(meeting.id, ItemCreate(person_id=entry.person_id, reason=why))
    return Redirect(meeting_url(actor, meeting.id))


async def meeting_context(
    session: AsyncSession, access: Access, meeting: MeetingOut
) -> dict[str, Any]:
    orgs = await queries.organisations(session, access.actor)
    service = domain_service(MeetingService, session, access)
    return {
        "escalated_to": await service.escalated_to(meeting.id),
        "earlier_actions": await service.earlier_open_actions(meeting.id),
        "meeting": meeting,
        "people": await person_names(session, access, {i.person_id for i in meeting.items}),
        "organisations": {o.id: o.name for o in orgs},
        "org_options": [(str(o.id), o.name) for o in orgs],
        "tenant_name": await queries.tenant_name(session, access.actor),
        "actions_by_item": {
            item.id: [a for a in meeting.actions if a.item_id == item.id] for item in meeting.items
        },
    }


@get(MEETING, include_in_schema=False)
async def meeting_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
) -> Template:
    meeting = await domain_service(MeetingService, db_session, access).get(meeting_id)
    return render(
        request,
        "pages/meeting.html",
        actor,
        errors=FormErrors(),
        values={},
        item_errors={},
        **await meeting_context(db_session, access, meeting),
    )


async def item_response(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    errors: FormErrors,
    values: dict[str, str],
) -> Template | Redirect:
    """HTMX gets the person's section back; without JavaScript, the page again."""
    actor = access.actor
    if not errors and not is_htmx(request):
        return Redirect(meeting_url(actor, meeting_id, f"item-{item_id}"))
    meeting = await domain_service(MeetingService, session, access).get(meeting_id)
    context = await meeting_context(session, access, meeting)
    item_errors = {item_id: errors} if errors else {}
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        # Someone whose case notes are withheld: their card is not this user's to see.
        raise not_found("Meeting item")
    item_values = {}
    if errors:
        # The card comes back with what was saved, overlaid with everything typed, so a
        # refusal of one form never empties the other (and a later save never blanks it).
        saved_values = {"discussion": item.discussion or "", "outcome": item.outcome or ""}
        item_values = {item_id: saved_values | values}
    if is_htmx(request):
        return render(
            request,
            "partials/meeting_item.html",
            actor,
            item=item,
            item_errors=item_errors,
            item_values=item_values,
            saved=not errors,
            **context,
        )
    return render(
        request,
        "pages/meeting.html",
        actor,
        errors=FormErrors(),
        values={},
        item_errors=item_errors,
        item_values=item_values,
        status_code=400,
        **context,
    )


@post(f"{MEETING}/items/{{item_id:uuid}}", include_in_schema=False)
async def item_save(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
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
        {name: values[name] or None for name in ("discussion", "outcome") if name in values},
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
    if queries.parse_uuid(values.get("owner_organisation_id", "")) is None:
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
            "owner_organisation_id": values["owner_organisation_id"],
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
) -> Redirect:
    """Mark an action done, from the agenda or from the card of the person it is about.

    The service audits the change and allows it on a closed meeting: actions are followed
    up after the meeting that agreed them."""
    values = form_values(await request.form())
    await domain_service(MeetingService, db_session, access).update_action(
        meeting_id, action_id, ActionUpdate(completed=True)
    )
    return Redirect(back_from_done(actor, values))


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


@post(f"{MEETING}/items/{{item_id:uuid}}/escalate", include_in_schema=False)
async def item_escalate(
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
    item_id: FromPath[uuid.UUID],
) -> Redirect:
    await domain_service(MeetingService, db_session, access).escalate(meeting_id, item_id, None)
    return Redirect(meeting_url(actor, meeting_id, f"item-{item_id}"))


@post(f"{MEETING}/attendees", include_in_schema=False)
async def attendee_add(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("name"):
        errors.add("name", "Enter the attendee's name")
    if queries.parse_uuid(values.get("organisation_id", "")) is None:
        errors.add("organisation_id", "Select the attendee's organisation")
    if not errors:
        try:
            await domain_service(MeetingService, db_session, access).add_attendee(
                meeting_id,
                AttendeeCreate(
                    organisation_id=uuid.UUID(values["organisation_id"]),
                    name=values["name"][:200],
                ),
            )
        except HTTPException as exc:
            if exc.status_code not in (409, 422):
                raise
            await db_session.rollback()
            rule_errors(exc, errors, "name")
        else:
            return Redirect(meeting_url(actor, meeting_id, "attendees"))
    return await meeting_with_errors(request, access, db_session, meeting_id, values, errors)


@post(f"{MEETING}/items", include_in_schema=False)
async def item_add(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    """Add someone not on the agenda, by prison number."""
    values = form_values(await request.form())
    errors = FormErrors()
    number = values.get("prison_number", "").upper()
    person_id = None
    if not number:
        errors.add("prison_number", "Enter the person's prison number")
    else:
        # Someone whose identity is not shared with this user reads as not found.
        person_id = await db_session.scalar(
            select(Person.id).where(
                Person.tenant_id == actor.tenant_id,
                Person.prison_number == number,
                access.person_filter("identity", person_id=Person.id),
            )
        )
        if person_id is None:
            errors.add("prison_number", "No person with this prison number was found")
    if person_id is not None:
        try:
            await domain_service(MeetingService, db_session, access).add_item(
                meeting_id,
                ItemCreate(person_id=person_id, reason=values.get("reason") or None),
            )
        except HTTPException as exc:
            if exc.status_code not in (409, 422):
                raise
            await db_session.rollback()
            rule_errors(exc, errors, "prison_number")
            if "person_id" in errors:
                errors["prison_number"] = errors.pop("person_id")
        else:
            return Redirect(meeting_url(actor, meeting_id, "agenda"))
    return await meeting_with_errors(request, access, db_session, meeting_id, values, errors)


def unrecorded(meeting: MeetingOut) -> list[Any]:
    return [item for item in meeting.items if not item.outcome]


@get(f"{MEETING}/close", include_in_schema=False)
async def meeting_close_confirm(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    """Before a meeting closes for good, say who has no outcome recorded."""
    meeting = await domain_service(MeetingService, db_session, access).get(meeting_id)
    if meeting.closed_at is not None:
        return Redirect(meeting_url(actor, meeting_id))
    return render(
        request,
        "pages/meeting_close.html",
        actor,
        meeting=meeting,
        unrecorded=unrecorded(meeting),
        people=await person_names(db_session, access, {i.person_id for i in meeting.items}),
        tenant_name=await queries.tenant_name(db_session, actor),
    )


@post(f"{MEETING}/close", include_in_schema=False)
async def meeting_close(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    meeting_id: FromPath[uuid.UUID],
) -> Redirect:
    # Only the confirmation page's button closes: a close posted from anywhere else goes
    # to that page first, so nobody closes a meeting without seeing who is unrecorded.
    values = form_values(await request.form())
    if values.get("confirm") != "yes":
        return Redirect(f"{meeting_url(actor, meeting_id)}/close")
    await domain_service(MeetingService, db_session, access).close(meeting_id)
    return Redirect(meeting_url(actor, meeting_id))


async def meeting_with_errors(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    meeting_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    meeting = await domain_service(MeetingService, session, access).get(meeting_id)
    return render(
        request,
        "pages/meeting.html",
        access.actor,
        errors=errors,
        values=values,
        item_errors={},
        status_code=400,
        **await meeting_context(session, access, meeting),
    )


HANDLERS = [
    meeting_today,
    meeting_start,
    meeting_page,
    item_save,
    action_add,
    action_done,
    item_escalate,
    attendee_add,
    item_add,
    meeting_close_confirm,
    meeting_close,
]
