"""/t/{tenant}/peer-mentoring/schedule: gate appointments and planned sessions ahead."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from core.web.queries import person_names
from plugins.peer_mentoring.common import DEFAULT_SCHEDULE_DAYS
from plugins.peer_mentoring.models import Mentor
from plugins.peer_mentoring.services import PeerMentoringService

PAGE_ROWS = 200


@get("/t/{tenant:str}/peer-mentoring/schedule", include_in_schema=False)
async def schedule_page(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    service = PeerMentoringService(db_session, access)  # 404 where the plugin is off
    schedule = await service.schedule(
        start=None, end=None, mentor_id=None, mine=False, limit=PAGE_ROWS, cursor=None
    )
    people = {item.person_id for item in schedule.items}
    names = await person_names(db_session, access, people, "peer_mentoring_schedule")
    mentor_ids = {item.mentor_id for item in schedule.items if item.mentor_id}
    mentors = dict(
        (
            await db_session.execute(
                select(Mentor.id, Mentor.name).where(
                    Mentor.tenant_id == access.actor.tenant_id, Mentor.id.in_(mentor_ids)
                )
            )
        ).all()
    )
    return render(
        request,
        "peer_mentoring/schedule.html",
        access.actor,
        items=schedule.items,
        names=names,
        mentors=mentors,
        days=DEFAULT_SCHEDULE_DAYS,
    )


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[schedule_page],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
