"""The release checklist on the pages: its own page, and the same task list on the record.

Each line links to the form that does it only when the viewer may send that form (the
line's category is writable for this person); otherwise it is a plain line with its status.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.persons.checklist import release_checklist
from core.web.forms import FormErrors
from core.web.record.common import PERSON, form_page

# The page that records each line, by the line's key ({tenant} and {person} filled in).
# Plugin lines appear only when their plugin is switched on, and so do these pages.
LINE_FORMS: dict[str, str] = {
    "liberation_date": "/t/{tenant}/persons/{person}/liberation",
    "housing": "/t/{tenant}/housing/persons/{person}/details",
    "naloxone": "/t/{tenant}/harm-reduction/persons/{person}/naloxone",
}


class ChecklistLine(msgspec.Struct, frozen=True):
    key: str
    label: str
    status: str
    hint: str | None
    link: str | None


class ChecklistView(msgspec.Struct, frozen=True):
    lines: list[ChecklistLine]
    done: int
    liberation_date: date | None
    withheld: list[str]
    unavailable: list[str]


async def checklist_view(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    access: Access,
    person_id: uuid.UUID,
    writable: set[str] | None = None,
) -> ChecklistView:
    """The checklist (read through the audited service) as the task list shows it."""
    checklist = await release_checklist(
        session, access, request.app.state.plugin_manager, person_id
    )
    if writable is None:
        writable = await access.writable_categories(person_id)
    slug = access.actor.tenant_slug

    def link(key: str, category: str) -> str | None:
        form = LINE_FORMS.get(key)
        if form is None or category not in writable:
            return None
        return form.format(tenant=slug, person=person_id)

    return ChecklistView(
        lines=[
            ChecklistLine(
                key=item.key,
                label=item.label,
                status=checklist.statuses[item.key],
                hint=item.detail,
                link=link(item.key, item.category),
            )
            for item in checklist.items
        ],
        done=checklist.done,
        liberation_date=checklist.liberation_date,
        withheld=checklist.withheld,
        unavailable=checklist.unavailable,
    )


@get(f"{PERSON}/release-checklist", include_in_schema=False)
async def checklist_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/release_checklist.html",
        {},
        FormErrors(),
        checklist=await checklist_view(request, db_session, access, person_id),
    )
