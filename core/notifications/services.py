"""Notifications: written by jobs and alerts, read as each user's task list.

``notify`` adds rows in the caller's transaction and is idempotent by ``key``: a reminder
job that runs twice (arq may) notifies each user once. Stored titles are generic
("Initial assessment overdue"): the person's name is added when the list is read, and
only for a reader the protocol lets see that person's identity, so a stored row never
outlives a change to the protocol. A task whose work is recorded closes itself
(:mod:`core.notifications.resolve`) before the list is read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import PersonView, project
from core.db.base import new_id, utcnow
from core.errors import not_found
from core.jobs.outbox import insert_ignoring_duplicates
from core.notifications.models import Notification
from core.notifications.resolve import close_settled
from core.notifications.schemas import TaskOut
from core.pagination import Page, keyset, page_of
from core.persons.models import Person

# Tasks without a due date sort after every dated one.
NO_DUE_DATE = date(9999, 12, 31)


async def notify(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID],
    *,
    kind: str,
    title: str,
    link: str | None,
    key: str,
    due_date: date | None = None,
    person_id: uuid.UUID | None = None,
) -> int:
    """Add the task to each user's list unless that user already has one with ``key``.

    Runs in the caller's transaction (the caller commits); returns how many were new.
    """
    created = 0
    now = utcnow()
    for user_id in dict.fromkeys(user_ids):  # one row per user, in the order given
        stmt = insert_ignoring_duplicates(session, Notification).values(
            tenant_id=tenant_id,
            id=new_id(),
            created_at=now,
            user_id=user_id,
            kind=kind,
            title=title,
            link=link,
            key=key,
            person_id=person_id,
            due_date=due_date,
        )
        result = await session.execute(stmt)
        created += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return created


def task_out(row: Notification, today: date, person_name: str | None = None) -> TaskOut:
    return TaskOut(
        id=row.id,
        kind=row.kind,
        title=row.title,
        link=row.link,
        person_id=row.person_id,
        due_date=row.due_date,
        overdue=row.done_at is None and row.due_date is not None and row.due_date < today,
        created_at=row.created_at,
        done_at=row.done_at,
        person_name=person_name,
    )


def _due_key() -> ColumnElement[date]:
    return func.coalesce(Notification.due_date, literal(NO_DUE_DATE, Notification.due_date.type))


def _cursor_date(value: str) -> date:
    return date.fromisoformat(value)


def _cursor_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


class TaskService:
    """The acting user's own tasks in the acting tenant; nobody else's are reachable."""

    def __init__(self, session: AsyncSession, actor: Actor, access: Access | None = None) -> None:
        self.session = session
        self.actor = actor
        # Without the sharing engine no name is shown: the title stays generic.
        self.access = access

    async def _names(self, rows: list[Notification]) -> dict[uuid.UUID, str]:
        """The names of the tasks' people whose identity the protocol lets this user read."""
        person_ids = list({n.person_id for n in rows if n.person_id is not None})
        if self.access is None or not person_ids:
            return {}
        readable = await self.access.readable_for(person_ids, ("identity",))
        allowed = [pid for pid, cats in readable.items() if "identity" in cats]
        if not allowed:
            return {}
        people = await self.session.scalars(
            select(Person).where(Person.tenant_id == self.actor.tenant_id, Person.id.in_(allowed))
        )
        names: dict[uuid.UUID, str] = {}
        for person in people:
            view = project(PersonView, readable[person.id], person)
            if view.given_name or view.family_name:
                names[person.id] = " ".join(p for p in (view.given_name, view.family_name) if p)
        # Naming a person is reading their record: one event for the page, as lists do.
        record(
            self.session,
            self.actor,
            "list",
            "person",
            detail={"via": "tasks", "returned": len(names)},
        )
        return names

    async def list(self, *, done: bool, limit: int, cursor: str | None) -> Page[TaskOut]:
        if not done:
            # Work recorded since the last reminder run closes its task before it is shown.
            await close_settled(self.session, self.actor.tenant_id, self.actor.user_id)
        # AUTHZ: not filtered by Access.person_filter on purpose: a task is the user's own
        # row, its title is generic and its link opens the person's record, where the
        # sharing engine decides. Filtering here would silently drop a lead's reminder
        # about a person the protocol has not yet opened to them.
        stmt = select(Notification).where(
            Notification.tenant_id == self.actor.tenant_id,
            Notification.user_id == self.actor.user_id,
            Notification.done_at.is_not(None) if done else Notification.done_at.is_(None),
        )
        # Due and overdue first: earliest due date, then undated, oldest first within each.
        stmt = keyset(
            stmt,
            [_due_key(), Notification.created_at, Notification.id],
            cursor,
            limit,
            convert=[_cursor_date, _cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(
            rows,
            limit,
            lambda n: [
                (n.due_date or NO_DUE_DATE).isoformat(),
                n.created_at.isoformat(),
                str(n.id),
            ],
        )
        record(
            self.session,
            self.actor,
            "list",
            "task",
            detail={"done": done, "returned": len(rows)},
        )
        names = await self._names(rows)
        await self.session.commit()
        today = clock.today()
        return Page(
            items=[task_out(n, today, names.get(n.person_id)) for n in rows],  # type: ignore[arg-type]
            next_cursor=next_cursor,
        )

    async def mark_done(self, task_id: uuid.UUID) -> TaskOut:
        row = await self.session.scalar(
            select(Notification)
            .where(
                Notification.tenant_id == self.actor.tenant_id,
                Notification.id == task_id,
                Notification.user_id == self.actor.user_id,
            )
            .with_for_update()
        )
        if row is None:
            raise not_found("Task")
        # Done twice is still done once: the first time is the one kept.
        if row.done_at is None:
            row.done_at = utcnow()
            record(
                self.session,
                self.actor,
                "update",
                "task",
                row.id,
                person_id=row.person_id,
                detail={"kind": row.kind, "done": True},
            )
        await self.session.commit()
        return task_out(row, clock.today())
