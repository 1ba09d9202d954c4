"""/t/{tenant}/persons/{id}/access-history: who read or changed the record, and the
partnership lead's subject-access export (a button with a confirmation).

The same service as the API (:mod:`core.persons.access_history`): the lead sees every
access, a partner its own organisation's, the analyst none; each view is audited.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.pagination import Page
from core.persons.access_history import (
    LEAD_ROLE,
    AccessEntry,
    AccessHistoryService,
    HistoryFilters,
)
from core.persons.history_controllers import export_response
from core.persons.subject_access import produce_export
from core.web import queries
from core.web.context import render
from core.web.forms import FormErrors, form_values, parse_date

PAGE_SIZE = 25
HISTORY = "/t/{tenant:str}/persons/{person_id:uuid}/access-history"
ACTIONS = (
    ("read", "Read"),
    ("list", "Listed"),
    ("create", "Created"),
    ("update", "Changed"),
    ("deny", "Refused"),
    ("break_glass", "Break-glass"),
    ("decide", "Relation decided"),
    ("subject_access_export", "Subject-access export"),
)
FILTER_KEYS = (
    "organisation",
    "action",
    *(f"{n}-{p}" for n in ("from", "to") for p in ("day", "month", "year")),
)
REASON_MIN = 5


def filters_from(values: dict[str, str], errors: FormErrors) -> HistoryFilters:
    organisation = queries.parse_uuid(values.get("organisation", ""))
    action = values.get("action") or None
    if action not in {a for a, _ in ACTIONS}:
        action = None
    since = parse_date(values, "from", errors, "The start date")
    until = parse_date(values, "to", errors, "The end date")
    if since and until and until < since:
        errors.add("to", "The end date must be the same as or after the start date")
    return HistoryFilters(organisation_id=organisation, action=action, since=since, until=until)


async def history_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    *,
    values: dict[str, str],
    cursor: str | None,
    export_values: dict[str, str] | None = None,
    export_errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    errors = FormErrors()
    filters = filters_from(values, errors)
    service = AccessHistoryService(session, access)
    page: Page[AccessEntry] = (
        await service.page(person_id, filters, limit=PAGE_SIZE, cursor=cursor)
        if not errors
        else Page(items=[])
    )
    if errors:
        await service.check(person_id)
    person = await access.visible_person(person_id)
    is_lead = actor.has_role(LEAD_ROLE)
    organisations = await queries.organisations(session, actor)
    if not is_lead:
        organisations = [o for o in organisations if o.id == actor.organisation_id]
    kept = {k: values[k] for k in FILTER_KEYS if values.get(k)}
    base = f"/t/{actor.tenant_slug}/persons/{person_id}/access-history"
    next_url = None
    if page.next_cursor:
        next_url = f"{base}?{urlencode(kept | {'cursor': page.next_cursor})}"
    return render(
        request,
        "pages/access_history.html",
        actor,
        status_code=status_code,
        person=person,
        entries=page.items,
        next_url=next_url,
        first_url=f"{base}?{urlencode(kept)}" if cursor else None,
        csv_url=f"/api/v1/t/{actor.tenant_slug}/persons/{person_id}/access-history.csv"
        + (f"?{urlencode(api_query(filters))}" if api_query(filters) else ""),
        values=values,
        errors=errors,
        filtered=bool(kept),
        actions=ACTIONS,
        organisations=[(str(o.id), o.name) for o in organisations],
        is_lead=is_lead,
        export_values=export_values or {},
        export_errors=export_errors or FormErrors(),
        tenant_name=await queries.tenant_name(session, actor),
    )


def api_query(filters: HistoryFilters) -> dict[str, str]:
    """The page's filters as the CSV address's query, so the download matches the table."""
    out = {
        "organisation_id": filters.organisation_id,
        "action": filters.action,
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
    }
    return {k: str(v) for k, v in out.items() if v}


@get(HISTORY, include_in_schema=False)
async def access_history_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
) -> Template:
    values = {k: str(request.query_params.get(k, "")).strip()[:40] for k in FILTER_KEYS}
    return await history_page(
        request, actor, access, db_session, person_id, values=values, cursor=cursor
    )


@post(
    "/t/{tenant:str}/persons/{person_id:uuid}/subject-access-export",
    include_in_schema=False,
    status_code=200,
)
async def subject_access_export_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Response[bytes]:
    if not actor.has_role(LEAD_ROLE):
        # Refused (and the refusal audited) before the form is even read.
        pm = request.app.state.plugin_manager
        return export_response(await produce_export(db_session, access, pm, person_id, ""))
    values = form_values(await request.form())
    errors = FormErrors()
    reason = values.get("reason", "")
    if len(reason) < REASON_MIN:
        errors.add("reason", "Enter the reason for the export, for example the request's reference")
    elif len(reason) > 500:
        errors.add("reason", "The reason must be 500 characters or fewer")
    if values.get("confirm") != "yes":
        errors.add(
            "confirm", "Confirm that the export is for a subject-access request you are handling"
        )
    if errors:
        return await history_page(
            request,
            actor,
            access,
            db_session,
            person_id,
            values={},
            cursor=None,
            export_values=values,
            export_errors=errors,
            status_code=400,
        )
    export = await produce_export(
        db_session, access, request.app.state.plugin_manager, person_id, reason
    )
    return export_response(export)


HANDLERS = [access_history_page, subject_access_export_page]
