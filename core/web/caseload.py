"""/t/{tenant}/caseload: search, filter, sort and page through the partnership's people.

Pages are keyset pages (``after``/``before`` hold a row's sort key), so the tenth page
costs what the first does; next and previous keep every filter and the sort.

It opens on the viewer's own people with an open episode (``people=mine``) when they have
any, the partnership's list one link away (``people=all``); closed episodes only with
``closed=1``. A viewer who may read nobody's identity (an analyst) is sent to the reports.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.episodes.models import Phase
from core.web import queries
from core.web.context import is_htmx, render
from core.web.queries import LIBERATION_WINDOWS, PEOPLE, SORTS, CaseloadFilters

Text = Annotated[str, QueryParameter(max_length=100)]


def paged_href(filters: CaseloadFilters, **cursor: str) -> str:
    """This list with the same filters and sort, at another keyset page."""
    kept = {
        k: (int(v) if isinstance(v, bool) else v)
        for k, v in filters.__dict__.items()
        if v not in ("", None, False) and k not in ("after", "before")
    }
    return "?" + urlencode(kept | cursor)


def page_links(result: queries.Caseload) -> dict[str, str]:
    links = {}
    if result.previous_cursor:
        links["previous"] = paged_href(result.filters, before=result.previous_cursor)
    if result.next_cursor:
        links["next"] = paged_href(result.filters, after=result.next_cursor)
    return links


@get("/t/{tenant:str}/caseload", include_in_schema=False)
async def caseload_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    q: Text = "",
    location: Text = "",
    phase: Text = "",
    key_worker: Text = "",
    organisation: Text = "",
    liberation_within: Text = "",
    sort: Text = "name",
    after: Annotated[str, QueryParameter(max_length=500)] = "",
    before: Annotated[str, QueryParameter(max_length=500)] = "",
    people: Text = "",
    closed: Text = "",
) -> Template | Redirect:
    if queries.sees_no_person(access):
        # An empty caseload would read as "nobody referred yet"; the reports are their work.
        return Redirect(f"/t/{actor.tenant_slug}/reports")
    if people not in PEOPLE:
        people = "mine" if await queries.has_own_people(db_session, access) else "all"
    window = int(liberation_within) if liberation_within.isdigit() else None
    filters = CaseloadFilters(
        q=q.strip(),
        location=location,
        phase=phase,
        key_worker=key_worker,
        organisation=organisation,
        liberation_within=window if window in LIBERATION_WINDOWS else None,
        sort=sort if sort in SORTS else "name",
        people=people,
        closed=closed == "1",
        after=after,
        before=before if not after else "",
    )
    result = await queries.caseload(db_session, access, filters)
    context: dict[str, Any] = {
        "caseload": result,
        "values": {
            k: str(v)
            for k, v in filters.__dict__.items()
            if v is not None and k not in ("after", "before")
        }
        | {"closed": "1" if filters.closed else ""},
        "people_links": {
            s: "?" + urlencode({"people": s} | ({"closed": "1"} if filters.closed else {}))
            for s in PEOPLE
        },
        "pagination": page_links(result),
    }
    if is_htmx(request):
        return render(request, "partials/caseload_results.html", actor, **context)
    return render(
        request,
        "pages/caseload.html",
        actor,
        tenant_name=await queries.tenant_name(db_session, actor),
        phases=[(p.value, p.value) for p in Phase],
        organisations=[(str(o.id), o.name) for o in await queries.organisations(db_session, actor)],
        key_workers=[("me", "Me")]
        + [(str(uid), name) for uid, name, _ in await queries.members(db_session, actor)],
        windows=LIBERATION_WINDOWS,
        **context,
    )
