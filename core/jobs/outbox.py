"""The outbox: job requests written in the transaction of the change that causes them.

A request is a row in ``outbox``, committed with the change or not at all. Once committed it
is handed on: to arq when Redis is configured (arq's job id is the outbox id, so arq itself
drops a second copy), otherwise to the in-process runner. The sweep hands on again anything
not finished a while after it was handed on, so a request made while Redis was down is run
once Redis is back. :func:`run_outbox_job` runs the named job and marks the row finished; a
job may still run twice (a worker killed after the job's effect, before the mark), which is
why every job must be idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from core.db.base import new_id, utcnow
from core.jobs.models import OutboxEntry
from core.jobs.serialization import serializers

log = logging.getLogger("throughcare.jobs")

# The arq function that runs one outbox row.
RUN_JOB = "run_outbox_job"
# Handed on but not finished after this long: hand it on again.
SWEEP_AFTER = timedelta(minutes=10)
# A request that failed this many times stays in the table, with its last error, for a person.
MAX_ATTEMPTS = 5
# Finished rows are kept this long (to answer "did it run?"), then deleted. A key is
# free again once its row is gone, so this is also how long a finished key is remembered.
KEEP_FINISHED = timedelta(days=30)
# One sweep hands on at most this many rows; the next sweep takes the rest.
SWEEP_BATCH = 500

PENDING_KEY = "throughcare_outbox_pending"

Ids = list[tuple[uuid.UUID, uuid.UUID]]  # (tenant_id, outbox id)


def insert_ignoring_duplicates(session: AsyncSession, model: type) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(model).on_conflict_do_nothing()
    raise RuntimeError(f"unsupported database dialect {dialect!r}")


async def enqueue(
    session: AsyncSession, tenant_id: uuid.UUID, job: str, key: str, args: dict[str, Any]
) -> None:
    """Request ``job(ctx, tenant_id=..., **args)`` in the caller's transaction.

    A second request with the same ``key`` in the same tenant is a no-op, whether the first
    has run or not. The caller commits; the request is handed on only once it is committed.
    """
    stmt = (
        insert_ignoring_duplicates(session, OutboxEntry)
        .values(
            tenant_id=tenant_id,
            id=new_id(),
            created_at=utcnow(),
            job=job,
            key=key,
            args=args,
            attempts=0,
        )
        .returning(OutboxEntry.id)
    )
    new = (await session.execute(stmt)).scalar_one_or_none()
    if new is not None:
        session.info.setdefault(PENDING_KEY, []).append((tenant_id, new))


# --- handing committed rows on -----------------------------------------------------------

# Set per request by the app's jobs plugin (and by whoever runs jobs outside a request).
_dispatcher: ContextVar[Dispatcher | None] = ContextVar("throughcare_dispatcher", default=None)


def current_dispatcher() -> Dispatcher | None:
    return _dispatcher.get()


def set_dispatcher(dispatcher: Dispatcher | None) -> Any:
    return _dispatcher.set(dispatcher)


def reset_dispatcher(token: Any) -> None:
    _dispatcher.reset(token)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: Ids | None = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    dispatcher = _dispatcher.get()
    if dispatcher is not None:
        dispatcher.committed(pending)
    # Without a dispatcher (a command, a test) the rows wait for the sweep or the runner.


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


async def hand_to_arq(
    redis: Any,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    ids: Iterable[tuple[uuid.UUID, uuid.UUID]] | None = None,
    stale_after: timedelta = SWEEP_AFTER,
) -> int:
    """Hand unfinished rows to arq: the given ones, or (a sweep) those never handed on or
    handed on more than ``stale_after`` ago. Returns how many were handed on.

    A row arq still holds is not doubled: its job id is the outbox id.
    """
    stmt = select(OutboxEntry.tenant_id, OutboxEntry.id).where(
        OutboxEntry.finished_at.is_(None), OutboxEntry.attempts < MAX_ATTEMPTS
    )
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0
        stmt = stmt.where(OutboxEntry.id.in_([row_id for _, row_id in wanted]))
    else:
        # The sweep crosses tenants by design: it is the platform's machinery, not a reader.
        stmt = stmt.where(
            or_(
                OutboxEntry.dispatched_at.is_(None),
                OutboxEntry.dispatched_at < utcnow() - stale_after,
            )
        )
    stmt = stmt.order_by(OutboxEntry.created_at).limit(SWEEP_BATCH)
    async with session_factory() as session:
        rows = (await session.execute(stmt)).all()
    handed = 0
    for tenant_id, row_id in rows:
        await redis.enqueue_job(RUN_JOB, str(tenant_id), str(row_id), _job_id=str(row_id))
        async with session_factory() as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.tenant_id == tenant_id, OutboxEntry.id == row_id)
                .values(dispatched_at=utcnow())
            )
            await session.commit()
        handed += 1
    return handed


class Dispatcher:
    """Hands rows on as soon as they are committed: to arq, or by waking the local runner.

    Never raises into the request that committed: if Redis is down, the rows stay
    undispatched and the sweep hands them on later.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        redis_url: str | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.redis_url = redis_url
        self.wake = wake
        self._pool: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def committed(self, ids: Ids) -> None:
        if self.redis_url is None:
            if self.wake is not None:
                self.wake()
            return
        task = asyncio.get_running_loop().create_task(self.dispatch(ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _redis(self) -> Any:
        if self._pool is None:
            from arq.connections import RedisSettings, create_pool

            settings = RedisSettings.from_dsn(self.redis_url or "")
            # No retries: a request's background hand-on must not sit waiting for Redis.
            settings.conn_retries = 0
            settings.conn_timeout = 2
            self._pool = await create_pool(settings, **serializers())
        return self._pool

    async def dispatch(self, ids: Ids | None = None) -> int:
        """Hand on the given rows (or sweep); 0 and a log line when Redis is unavailable."""
        try:
            return await hand_to_arq(await self._redis(), self.session_factory, ids=ids)
        except (OSError, ConnectionError, TimeoutError) as exc:
            await self._drop_pool()
            log.warning("outbox: Redis unavailable, %s left for the sweep: %s", ids or "all", exc)
            return 0
        except Exception as exc:
            # redis-py's errors do not all derive from OSError; none may reach the request.
            await self._drop_pool()
            log.warning("outbox: hand-on failed, left for the sweep: %r", exc)
            return 0

    async def _drop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await pool.aclose()
            except Exception as exc:
                log.debug("outbox: closing a broken Redis pool: %r", exc)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._drop_pool()


# --- running one row ---------------------------------------------------------------------


async def _record_failure(
    session_factory: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    row_id: uuid.UUID,
    error: str,
) -> None:
    async with session_factory() as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.tenant_id == tenant_id, OutboxEntry.id == row_id)
            .values(last_error=error[:2000])
        )
        await session.commit()


async def run_outbox_job(ctx: dict[str, Any], tenant_id: str, outbox_id: str) -> str:
    """Run one outbox row's job with ``tenant_id`` and its args, then mark the row finished.

    A finished row is skipped, so a second delivery of the same row does nothing.
    """
    factory: async_sessionmaker[AsyncSession] = ctx["session_factory"]
    tid, row_id = uuid.UUID(tenant_id), uuid.UUID(outbox_id)
    async with factory() as session:
        entry = await session.get(OutboxEntry, (tid, row_id))
        if entry is None or entry.finished_at is not None:
            return "skipped"
        entry.attempts += 1
        job, args = entry.job, dict(entry.args)
        await session.commit()
    fn = ctx["jobs"].get(job)
    if fn is None:
        await _record_failure(factory, tid, row_id, f"no job named {job!r} is registered")
        return "unknown job"
    try:
        await fn(ctx, **{**args, "tenant_id": tenant_id})
    except Exception as exc:
        await _record_failure(factory, tid, row_id, f"{type(exc).__name__}: {exc}")
        raise
    async with factory() as session:
        await session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.tenant_id == tid,
                OutboxEntry.id == row_id,
                OutboxEntry.finished_at.is_(None),
            )
            .values(finished_at=utcnow(), last_error=None)
        )
        await session.commit()
    return "finished"


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    """arq cron: hand on again what was never handed on or has not finished in time."""
    return await hand_to_arq(ctx["redis"], ctx["session_factory"])


async def run_pending(ctx: dict[str, Any], *, limit: int = SWEEP_BATCH) -> int:
    """The in-process runner's turn: run every unfinished row here, oldest first.

    Returns how many ran to the end; a failing job is logged and left for the next turn.
    """
    async with ctx["session_factory"]() as session:
        rows = (
            await session.execute(
                select(OutboxEntry.tenant_id, OutboxEntry.id)
                .where(OutboxEntry.finished_at.is_(None), OutboxEntry.attempts < MAX_ATTEMPTS)
                .order_by(OutboxEntry.created_at)
                .limit(limit)
            )
        ).all()
    finished = 0
    for tenant_id, row_id in rows:
        try:
            if await run_outbox_job(ctx, str(tenant_id), str(row_id)) == "finished":
                finished += 1
        except Exception:
            log.exception("outbox: job %s failed; it will be tried again", row_id)
    return finished


async def purge_finished_outbox(ctx: dict[str, Any]) -> int:
    """Delete rows finished more than :data:`KEEP_FINISHED` ago. Idempotent."""
    async with ctx["session_factory"]() as session:
        result = await session.execute(
            delete(OutboxEntry).where(
                OutboxEntry.finished_at.is_not(None),
                OutboxEntry.finished_at < utcnow() - KEEP_FINISHED,
            )
        )
        await session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
