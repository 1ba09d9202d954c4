"""The Redis outage: one web process on its own ``redis-server``; clients loop bearer API
reads, bearer API writes (each asks for jobs through the outbox) and signed-in page loads
while the server is killed and started again. Counted per kind: ok, refused (503 with a
message), server errors; afterwards writes lost and jobs requested, handed to arq after
recovery, lost."""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select, update

from core.bench.faults.processes import (
    free_port,
    start_redis,
    start_web,
    stop,
    wait_ready,
    wait_redis,
)
from core.bench.faults.seeding import API, PASSWORD, TENANT, seed
from core.db.engine import make_engine, make_session_factory
from core.settings import Settings


@dataclass
class Tally:
    ok: int = 0
    refused: int = 0  # 503 carrying a message: refused plainly, by design
    server_errors: int = 0  # any other 5xx, or a 503 with no message
    other: Counter[int] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)

    def count(self, response: httpx.Response, ok: int = 200) -> None:
        if response.status_code == ok:
            self.ok += 1
        elif response.status_code == 503 and _has_message(response):
            self.refused += 1
        elif response.status_code >= 500:
            self.server_errors += 1
            self.errors[response.status_code] += 1
        else:
            self.other[response.status_code] += 1


def _has_message(response: httpx.Response) -> bool:
    if "json" in response.headers.get("content-type", ""):
        return bool(response.json().get("detail"))
    return "unavailable" in response.text.lower()


@dataclass
class OutageFigures:
    kinds: dict[str, Tally]
    during_outage: dict[str, Tally]
    writes_acknowledged: int
    writes_lost: int
    jobs_requested: int
    jobs_undispatched_after_outage: int
    jobs_dispatched_after_recovery: int
    jobs_resent: int  # handed to arq before the kill, so lost from its memory, handed again
    jobs_lost: int
    outage_seconds: float
    signed_in_again: dict[int, int]

    def rows(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, tally in self.kinds.items():
            down = self.during_outage[name]
            out.append(
                (
                    f"redis outage: {name}",
                    f"ok {tally.ok}, refused 503 {tally.refused}, server errors "
                    f"{tally.server_errors}{f' {dict(tally.errors)}' if tally.errors else ''}, "
                    f"other {dict(tally.other) or 0} "
                    f"(while down: ok {down.ok}, refused {down.refused}, "
                    f"errors {down.server_errors})",
                )
            )
        out += [
            ("redis outage: seconds down", f"{self.outage_seconds:.1f}"),
            (
                "redis outage: pages sent to sign-in again (302), re-sign-ins by status",
                f"{self.kinds['page'].other.get(302, 0)}, {self.signed_in_again or 0}",
            ),
            (
                "redis outage: writes acknowledged / lost",
                f"{self.writes_acknowledged} / {self.writes_lost}",
            ),
            ("redis outage: jobs requested (unfinished outbox rows)", str(self.jobs_requested)),
            (
                "redis outage: jobs dispatched after recovery",
                f"{self.jobs_dispatched_after_recovery} "
                f"({self.jobs_undispatched_after_outage} were held in the outbox)",
            ),
            (
                "redis outage: jobs re-sent by the stale sweep (lost from Redis's memory)",
                str(self.jobs_resent),
            ),
            ("redis outage: jobs lost", str(self.jobs_lost)),
        ]
        return out


async def redis_outage(
    settings: Settings,
    var_dir: Path,
    *,
    clients: int = 3,
    before_s: float = 2.0,
    outage_s: float = 3.0,
    after_s: float = 3.0,
) -> OutageFigures:
    seeded = await seed(settings)
    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    base = f"http://127.0.0.1:{web_port}"
    redis = start_redis(redis_port)
    procs = [redis]
    kinds = {k: Tally() for k in ("api read", "api write", "page")}
    down_kinds = {k: Tally() for k in kinds}
    acknowledged: list[str] = []
    state = {"down": False}
    outage_seconds = 0.0
    try:
        await wait_redis(redis_port)
        web = start_web(settings.db.url, redis_url, var_dir, web_port)
        procs.append(web)
        await wait_ready(base)
        stop_at = time.monotonic() + before_s + outage_s + after_s + 120
        done = asyncio.Event()
        auth = {"Authorization": f"Bearer {seeded.token}"}
        names = itertools.count()

        login = {"username": seeded.username, "password": PASSWORD}

        async def sign_in(client: httpx.AsyncClient) -> None:
            signed_in = await client.post("/api/v1/auth/login", json=login)
            assert signed_in.status_code == 200, signed_in.text
            await ready(client)

        def note(kind: str, response: httpx.Response, ok: int = 200) -> None:
            kinds[kind].count(response, ok)
            if state["down"]:
                down_kinds[kind].count(response, ok)

        async def api_client() -> None:
            # Like a script whose HTTP client kept the sign-in's session cookie: bearer
            # requests must work whatever that cookie's store is doing.
            async with httpx.AsyncClient(base_url=base, timeout=15) as client:
                await sign_in(client)
                while not done.is_set() and time.monotonic() < stop_at:
                    note("api read", await client.get(f"{API}/persons?limit=5", headers=auth))
                    liberation = (date.today() + timedelta(days=30)).isoformat()
                    made = await client.post(
                        f"{API}/persons",
                        json={
                            "given_name": "Outage",
                            "family_name": f"Write{next(names)}",
                            "date_of_birth": "1980-01-01",
                            "liberation_date": liberation,
                        },
                        headers=auth,
                    )
                    note("api write", made, ok=201)
                    if made.status_code == 201:
                        acknowledged.append(made.json()["id"])

        async def page_client() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=15) as client:
                await sign_in(client)
                while not done.is_set() and time.monotonic() < stop_at:
                    page = await client.get(f"/t/{TENANT}/caseload")
                    note("page", page)
                    if page.status_code == 302 and not state["down"]:
                        # The session went with Redis's memory: sign in again, as a person
                        # sent to the sign-in page would.
                        again = await client.post("/api/v1/auth/login", json=login)
                        signed_in_again[again.status_code] += 1
                    await asyncio.sleep(0.02)

        signed_in_count = 0
        signed_in_again: Counter[int] = Counter()
        all_signed_in = asyncio.Event()

        async def ready(client: httpx.AsyncClient) -> None:
            # Every client signs in while Redis is up: sign-in's own outage is another case.
            nonlocal signed_in_count
            assert "throughcare_session" in client.cookies
            signed_in_count += 1
            if signed_in_count == 2 * clients:
                all_signed_in.set()
            await all_signed_in.wait()

        async def chaos() -> None:
            nonlocal outage_seconds
            await all_signed_in.wait()
            await asyncio.sleep(before_s)
            redis.send_signal(signal.SIGKILL)
            redis.wait(timeout=10)
            state["down"] = True
            started = time.monotonic()
            await asyncio.sleep(outage_s)
            restarted = start_redis(redis_port)
            procs.append(restarted)
            await wait_redis(redis_port)
            state["down"] = False
            outage_seconds = time.monotonic() - started
            await asyncio.sleep(after_s)
            done.set()

        loops = [api_client() for _ in range(clients)] + [page_client() for _ in range(clients)]
        await asyncio.gather(chaos(), *loops)
        stop([web])  # its shutdown waits for the hand-ons it started

        after = await _account(settings, redis_url, acknowledged)
        return OutageFigures(
            kinds=kinds,
            during_outage=down_kinds,
            writes_acknowledged=len(acknowledged),
            writes_lost=len(acknowledged) - after.writes_found,
            jobs_requested=after.jobs_requested,
            jobs_undispatched_after_outage=after.jobs_held,
            jobs_dispatched_after_recovery=after.jobs_swept,
            jobs_resent=after.jobs_resent,
            jobs_lost=after.jobs_lost,
            outage_seconds=outage_seconds,
            signed_in_again=dict(signed_in_again),
        )
    finally:
        stop(procs)


@dataclass
class _Aftermath:
    writes_found: int
    jobs_requested: int
    jobs_held: int  # never handed to arq: the outbox kept them through the outage
    jobs_swept: int
    jobs_resent: int
    jobs_lost: int


async def _account(settings: Settings, redis_url: str, acknowledged: list[str]) -> _Aftermath:
    """After the run, with the web process stopped: which acknowledged writes are stored,
    and what became of the jobs they asked for once the outbox is swept on the new Redis."""
    from arq.connections import RedisSettings as ArqRedisSettings
    from arq.connections import create_pool
    from arq.constants import default_queue_name

    from core.jobs.models import OutboxEntry
    from core.jobs.outbox import SWEEP_AFTER, sweep_outbox
    from core.jobs.serialization import serializers

    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    pool = await create_pool(ArqRedisSettings.from_dsn(redis_url), **serializers())
    try:
        from core.persons.models import Person

        async with factory() as session:
            ids = [uuid.UUID(i) for i in acknowledged]
            found = await session.scalar(
                select(func.count()).select_from(Person).where(Person.id.in_(ids))
            )
            rows = list(
                (
                    await session.scalars(
                        select(OutboxEntry).where(OutboxEntry.finished_at.is_(None))
                    )
                ).all()
            )
        held = sum(1 for r in rows if r.dispatched_at is None)
        ctx = {"redis": pool, "session_factory": factory}
        swept = await sweep_outbox(ctx)
        queued = {j.decode() for j in await pool.zrange(default_queue_name, 0, -1)}
        # Rows handed to arq before the kill went with Redis's memory: the sweep hands
        # them on again once they are SWEEP_AFTER old. Age those rather than wait.
        gone = [r.id for r in rows if str(r.id) not in queued]
        async with factory() as session:
            stale = datetime.now(UTC) - SWEEP_AFTER - timedelta(minutes=1)
            await session.execute(
                update(OutboxEntry).where(OutboxEntry.id.in_(gone)).values(dispatched_at=stale)
            )
            await session.commit()
        resent = await sweep_outbox(ctx)
        queued = {j.decode() for j in await pool.zrange(default_queue_name, 0, -1)}
        lost = sum(1 for r in rows if str(r.id) not in queued)
    finally:
        await pool.aclose()
        await engine.dispose()
    return _Aftermath(
        writes_found=int(found or 0),
        jobs_requested=len(rows),
        jobs_held=held,
        jobs_swept=swept,
        jobs_resent=resent,
        jobs_lost=lost,
    )
