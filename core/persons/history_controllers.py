"""/api/v1/t/{tenant}/persons/{id}/access-history and the subject-access export."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.pagination import DEFAULT_LIMIT, Page
from core.persons.access_history import (
    CSV_COLUMNS,
    AccessEntry,
    AccessHistoryService,
    HistoryFilters,
    csv_row,
)
from core.persons.subject_access import (
    SubjectAccessExport,
    SubjectAccessRequest,
    produce_export,
)

CSV = "text/csv; charset=utf-8"
Action = Annotated[str | None, QueryParameter(max_length=40, pattern=r"^[a-z_]+$")]


async def provide_history(
    db_session: NamedDependency[AsyncSession], access: NamedDependency[Access]
) -> AccessHistoryService:
    return AccessHistoryService(db_session, access)


def csv_lines(entries: list[AccessEntry]) -> AsyncIterator[str]:
    async def lines() -> AsyncIterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for entry in entries:
            writer.writerow(csv_row(entry))
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    return lines()


def export_response(export: SubjectAccessExport) -> Response[SubjectAccessExport]:
    filename = f"subject-access-{export.person_id}-{export.produced_at:%Y%m%d%H%M%S}.json"
    return Response(
        export,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


class AccessHistoryController(Controller):
    path = "/api/v1/t/{tenant:str}/persons/{person_id:uuid}"
    tags = ["persons"]
    dependencies = {"history": Provide(provide_history)}

    @get(
        "/access-history",
        summary="Who read or changed this person's record, newest first (lead: all; "
        "a partner: its own organisation's)",
    )
    async def access_history(
        self,
        history: NamedDependency[AccessHistoryService],
        person_id: FromPath[uuid.UUID],
        organisation_id: FromQuery[uuid.UUID | None] = None,
        user_id: FromQuery[uuid.UUID | None] = None,
        action: Action = None,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[AccessEntry]:
        filters = HistoryFilters(organisation_id, user_id, action, since, until)
        return await history.page(person_id, filters, limit=limit, cursor=cursor)

    @get("/access-history.csv", summary="The same access history as CSV", media_type=CSV)
    async def access_history_csv(
        self,
        history: NamedDependency[AccessHistoryService],
        person_id: FromPath[uuid.UUID],
        organisation_id: FromQuery[uuid.UUID | None] = None,
        user_id: FromQuery[uuid.UUID | None] = None,
        action: Action = None,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
    ) -> Stream:
        filters = HistoryFilters(organisation_id, user_id, action, since, until)
        # Read (and audited) inside the request's session; only the writing is streamed.
        entries = await history.all_entries(person_id, filters)
        return Stream(
            csv_lines(entries),
            headers={
                "Content-Disposition": f'attachment; filename="access-history-{person_id}.csv"'
            },
        )

    @post(
        "/subject-access-export",
        summary="Everything the partnership holds on the person, as a file (the lead only; "
        "audited with the reason)",
        status_code=200,
    )
    async def subject_access_export(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        access: NamedDependency[Access],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[SubjectAccessRequest],
    ) -> Response[SubjectAccessExport]:
        export = await produce_export(
            db_session, access, request.app.state.plugin_manager, person_id, data.reason.strip()
        )
        return export_response(export)
