"""What the daily meeting's pages share: their URLs, the names they show, the context a
meeting page or one person's card is drawn from, and drawing them again after a form.

A card is drawn again with what was saved overlaid with everything typed, so a refusal of
one form on it never empties another (and a later save never blanks what was saved).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import PERSON_VIEW_CATEGORIES, PersonView, project
from core.errors import not_found
from core.meetings.outputs import REFERRAL_CATEGORY
from core.meetings.schemas import MeetingOut
from core.meetings.services import MeetingService
from core.persons.models import Person
from core.web import queries
from core.web.context import is_htmx, render
from core.web.forms import FormErrors
from core.web.services import domain_service

MEETING = "/t/{tenant:str}/meetings/{meeting_id:uuid}"

# The card's own fields, which travel with its other forms (not saved) so a swap keeps them.
CARD_FIELDS = ("discussion", "outcome")


def meeting_url(actor: Actor, meeting_id: uuid.UUID, anchor: str = "") -> str:
    return f"/t/{actor.tenant_slug}/meetings/{meeting_id}" + (f"#{anchor}" if anchor else "")


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


async def owner_options(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    """Every active member as "Jo Bloggs (Sacro)", by organisation then name: the service
    refuses one who is not a member of the owning organisation chosen beside it."""
    orgs = {o.id: o.name for o in await queries.organisations(session, actor)}
    members = await queries.members(session, actor)
    ordered = sorted(members, key=lambda m: (orgs.get(m[2], ""), m[1].lower()))
    return [(str(uid), f"{name} ({orgs.get(org, '')})") for uid, name, org in ordered]


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
        "owner_options": await owner_options(session, access.actor),
        "tenant_name": await queries.tenant_name(session, access.actor),
        # The night's referrals form is offered to those who may make a referral at all.
        "can_refer": access.can(REFERRAL_CATEGORY, "write"),
        "actions_by_item": {
            item.id: [a for a in meeting.actions if a.item_id == item.id] for item in meeting.items
        },
    }


async def item_response(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    meeting_id: uuid.UUID,
    item_id: uuid.UUID,
    errors: FormErrors,
    values: dict[str, str],
    *,
    refused: dict[uuid.UUID, str] | None = None,
) -> Template | Redirect:
    """HTMX gets the person's section back; without JavaScript, the page again.

    ``refused`` holds a "Mark done" the service refused, by action: its message is shown
    beside that action, in place of a refusal page."""
    actor = access.actor
    failed = bool(errors or refused)
    if not failed and not is_htmx(request):
        return Redirect(meeting_url(actor, meeting_id, f"item-{item_id}"))
    meeting = await domain_service(MeetingService, session, access).get(meeting_id)
    context = await meeting_context(session, access, meeting)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        # Someone whose case notes are withheld: their card is not this user's to see.
        raise not_found("Meeting item")
    saved_values = {"discussion": item.discussion or "", "outcome": item.outcome or ""}
    # Whatever else was sent, the card's typed Discussion and Outcome come back as typed.
    typed = values if errors else {k: v for k, v in values.items() if k in CARD_FIELDS}
    item_values = {item_id: saved_values | typed}
    item_errors = {item_id: errors} if errors else {}
    if is_htmx(request):
        return render(
            request,
            "partials/meeting_item.html",
            actor,
            item=item,
            item_errors=item_errors,
            item_values=item_values,
            refused=refused or {},
            saved=not failed,
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
        refused=refused or {},
        status_code=403 if refused and not errors else 400,
        **context,
    )


async def agenda_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    *,
    refused: dict[uuid.UUID, str] | None = None,
) -> Template:
    """Today's suggested agenda, before the meeting starts; ``refused`` as for a card."""
    service = domain_service(MeetingService, session, access)
    agenda = await service.agenda(clock.today())
    recent = await service.list(held_from=None, held_to=None, kind=None, limit=10, cursor=None)
    return render(
        request,
        "pages/meeting_agenda.html",
        access.actor,
        agenda=agenda,
        recent=recent.items,
        refused=refused or {},
        can_refer=access.can(REFERRAL_CATEGORY, "write"),
        tenant_name=await queries.tenant_name(session, access.actor),
        status_code=403 if refused else 200,
    )


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
