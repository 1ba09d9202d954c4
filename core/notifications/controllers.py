"""/api/v1/t/{tenant}/tasks: the signed-in user's notifications and tasks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.hookspecs import hookimpl
from core.notifications.schemas import TaskOut
from core.notifications.services import TaskService
from core.pagination import DEFAULT_LIMIT, Page


async def provide_task_service(
    db_session: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
) -> TaskService:
    return TaskService(db_session, actor, access)


class TaskController(Controller):
    path = "/api/v1/t/{tenant:str}/tasks"
    tags = ["tasks"]
    dependencies = {"service": Provide(provide_task_service)}

    @get("/", summary="My open tasks, overdue and due first; done=true for those done")
    async def list_tasks(
        self,
        service: NamedDependency[TaskService],
        done: FromQuery[bool] = False,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> Page[TaskOut]:
        return await service.list(done=done, limit=limit, cursor=cursor)

    @post("/{task_id:uuid}/done", status_code=HTTP_200_OK, summary="Mark one of my tasks done")
    async def mark_done(
        self, service: NamedDependency[TaskService], task_id: FromPath[uuid.UUID]
    ) -> TaskOut:
        return await service.mark_done(task_id)


@hookimpl
def register_routes() -> list[Any]:
    return [TaskController]
