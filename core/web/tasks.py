"""/t/{tenant}/tasks: what is due or overdue for me (from core/notifications' reminders)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.notifications.services import TaskService
from core.web import queries
from core.web.context import render
from core.web.services import domain_service

TASKS_SHOWN = 100


@get("/t/{tenant:str}/tasks", include_in_schema=False)
async def tasks_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    show: Annotated[str, QueryParameter(max_length=10)] = "open",
    done: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Template:
    done_view = show == "done"
    # With access, so each task names its person where the protocol shows their identity.
    tasks = await TaskService(db_session, actor, access).list(
        done=done_view, limit=TASKS_SHOWN, cursor=None
    )
    return render(
        request,
        "pages/tasks.html",
        actor,
        tasks=tasks.items,
        more=tasks.next_cursor is not None,
        done_view=done_view,
        marked=done == "1",
        overdue=sum(1 for t in tasks.items if t.overdue),
        tenant_name=await queries.tenant_name(db_session, actor),
    )


@post("/t/{tenant:str}/tasks/{task_id:uuid}/done", include_in_schema=False)
async def task_done(
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    task_id: FromPath[uuid.UUID],
) -> Redirect:
    await domain_service(TaskService, db_session, access).mark_done(task_id)
    return Redirect(f"/t/{actor.tenant_slug}/tasks?done=1")


HANDLERS = [tasks_page, task_done]
