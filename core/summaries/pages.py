"""The printable episode summary: choose the recipient, read what would go, send it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.errors import not_found
from core.summaries.schemas import SummarySend
from core.summaries.services import SummaryService
from core.web.context import PAGE_EXCEPTION_HANDLERS
from core.web.forms import FormErrors, form_values, save_form
from core.web.record import form_page, person_url

URL = "/t/{tenant:str}/persons/{person_id:uuid}/episodes/{episode_id:uuid}/summary"
MESSAGES = {
    "recipient_organisation_id": "Choose who the summary is for",
    "recipient_name": "Enter the Offender Manager's name",
    "content_sha256": "Read the summary again before sending it",
}


async def _page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    episode_id: uuid.UUID,
    to: uuid.UUID | None,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    service = SummaryService(session, access)
    recipients = await service.recipients()
    summary = await service.build(episode_id, to) if to is not None else None
    if summary is not None and summary.person_id != person_id:
        raise not_found("Episode")
    return await form_page(
        request,
        access,
        session,
        person_id,
        "summaries/summary.html",
        {"to": str(to) if to else "", **values},
        errors,
        summary=summary,
        recipients=[(str(o.id), o.name) for o in recipients],
        episode_id=episode_id,
    )


@get(URL, include_in_schema=False)
async def summary_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    episode_id: FromPath[uuid.UUID],
    to: Annotated[uuid.UUID | None, QueryParameter()] = None,
) -> Template:
    await access.visible_person(person_id)
    return await _page(request, access, db_session, person_id, episode_id, to, {}, FormErrors())


@post(URL, include_in_schema=False)
async def summary_send(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    episode_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    await access.visible_person(person_id)
    values = form_values(await request.form())
    errors = FormErrors()
    data = {
        "recipient_organisation_id": values.get("to", ""),
        "recipient_name": values.get("recipient_name", ""),
        "content_sha256": values.get("content_sha256", ""),
    }
    service = SummaryService(db_session, access)

    async def send(struct: SummarySend) -> None:
        await service.send(episode_id, struct)

    if await save_form(db_session, data, SummarySend, errors, MESSAGES, send, "recipient_name"):
        return Redirect(
            person_url(access.actor, person_id, done="summary") + "#panel-onward_referrals"
        )
    try:
        to = uuid.UUID(values.get("to", ""))
    except ValueError:
        to = None
    return await _page(request, access, db_session, person_id, episode_id, to, values, errors)


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[summary_page, summary_send],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
