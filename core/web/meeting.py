"""The daily case meeting (HMP Perth's Persons of Concern Group), in as few clicks as it takes.

Today's agenda is built by the meeting service from new referrals and open actions;
starting the meeting puts everyone on it at once. Each person's card (its outcome, actions
and escalation) is handled in :mod:`core.web.meeting_cards`; this module holds the agenda,
the meeting page, who attended, adding someone, and closing through a confirmation.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.authz.actor import Actor
from core.meetings.models import MeetingKind
from core.meetings.schemas import (
    AgendaReason,
    AttendeeCreate,
    ItemCreate,
    MeetingCreate,
    MeetingOut,
)
from core.meetings.services import MeetingService
from core.persons.models import Person
from core.web import meeting_cards, queries, referral_batch
from core.web.context import render
from core.web.forms import FormErrors, form_values, save_form
from core.web.meeting_context import (
    MEETING,
    agenda_page,
    meeting_context,
    meeting_url,
    meeting_with_errors,
    person_names,
)
from core.web.services import domain_service

# Kept importable from here: the pages and tests that knew them by this module.
__all__ = ["HANDLERS", "meeting_url", "person_names"]


async def todays_meeting(service: MeetingService, today: date) -> uuid.UUID | None:
    found = await service.list(
        held_from=today, held_to=today, kind=MeetingKind.DAILY, limit=1, cursor=None
    )
    return found.items[0].id if found.items else None


def reason_words(reason: AgendaReason) -> str:
    source = (reason.referral_source or "").replace("_", " ")
    if reason.why == "referral":
        return f"New referral ({source})"
    if reason.why == "declined_offer":
        return f"Declined the offer of support ({source} referral): what more can we do?"
    return f"Open action: {reason.description}"


@get("/t/{tenant:str}/meeting", include_in_schema=False)
async def meeting_today(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    service = domain_service(MeetingService, db_session, access)
    existing = await todays_meeting(service, clock.today())
    if existing is not None:
        return Redirect(meeting_url(actor, existing))
    return await agenda_page(request, access, db_session)


@post("/t/{tenant:str}/meeting", include_in_schema=False)
async def meeting_start(
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Redirect:
    """Open today's meeting with everyone on the agenda and the chair as an attendee."""
    service = domain_service(MeetingService, db_session, access)
    today = clock.today()
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
        why = "; ".join(reason_words(r) for r in entry.reasons)
        await service.add_item(meeting.id, ItemCreate(person_id=entry.person_id, reason=why))
    return Redirect(meeting_url(actor, meeting.id))


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
    organisation = queries.parse_uuid(values.get("organisation_id", ""))
    if organisation is None:
        errors.add("organisation_id", "Select the attendee's organisation")
    service = domain_service(MeetingService, db_session, access)

    async def save(data: AttendeeCreate) -> None:
        await service.add_attendee(meeting_id, data)

    if await save_form(
        db_session,
        {"organisation_id": str(organisation), "name": values.get("name", "")[:200]},
        AttendeeCreate,
        errors,
        {"name": "Enter the attendee's name", "organisation_id": "Select the organisation"},
        save,
        "name",
    ):
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
    service = domain_service(MeetingService, db_session, access)

    async def save(data: ItemCreate) -> None:
        await service.add_item(meeting_id, data)

    if await save_form(
        db_session,
        {"person_id": str(person_id), "reason": values.get("reason") or None},
        ItemCreate,
        errors,
        {"reason": "Why they are discussed is too long"},
        save,
        "prison_number",
    ):
        return Redirect(meeting_url(actor, meeting_id, "agenda"))
    if "person_id" in errors:
        errors["prison_number"] = errors.pop("person_id")
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


HANDLERS = [
    meeting_today,
    meeting_start,
    meeting_page,
    attendee_add,
    item_add,
    meeting_close_confirm,
    meeting_close,
    *meeting_cards.HANDLERS,
    *referral_batch.HANDLERS,
]
