"""``throughcare bench faults``: the portal under faults, on real processes.

Two scenarios, each on real uvicorn processes on 127.0.0.1 and a database made for the run:

- **Redis outage**: one web process on its own ``redis-server`` (started here on a free
  port, nothing kept on disk); a few clients loop bearer API reads, bearer API writes (a
  person with a liberation date, which asks for jobs through the outbox) and signed-in page
  loads; mid-run the Redis server is killed and, a few seconds later, started again. Counted
  per kind: ok, refused (503 with a message), server errors, and afterwards writes lost
  (an acknowledged write that is not in the database) and jobs: requested, handed to arq
  after recovery, lost.
- **Concurrent writes**: two web processes against one database, N intervention writes
  spread over both at once. Counted: failed requests, writes lost, audit rows missing or
  doubled (exactly one ``create`` row per intervention), audit-chain breaks.

Every figure printed is measured in this run; nothing is assumed.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
from sqlalchemy import func, select, update

from core.accounts.models import Membership, User
from core.accounts.passwords import hash_password
from core.accounts.services import issue_token
from core.db.engine import make_engine, make_session_factory
from core.settings import PROJECT_ROOT, Settings
from core.tenancy.services import sync_tenants
from core.tenancy.spec import load_specs

TENANT = "low-moss"
API = f"/api/v1/t/{TENANT}"
SECRET = "f" * 48
# Fixed so the chain can be verified here with the key the web processes signed with.
AUDIT_KEY = "fault-bench-audit-key-" + "k" * 16
PASSWORD = "fault-bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int) -> subprocess.Popen[bytes]:
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    return subprocess.Popen(  # noqa: S603 - fixed argv, no shell; nothing kept on disk
        [*argv, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_redis(port: int, deadline: float = 10) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} did not start")


def start_web(
    db_url: str, redis_url: str | None, var_dir: Path, port: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "THROUGHCARE_DATABASE_URL": db_url,
        "THROUGHCARE_SECRET_KEY": SECRET,
        "THROUGHCARE_AUDIT_KEY": AUDIT_KEY,
        "THROUGHCARE_VAR_DIR": str(var_dir),
        "THROUGHCARE_LOG_LEVEL": "ERROR",
    }
    env.pop("THROUGHCARE_REDIS_URL", None)
    if redis_url:
        env["THROUGHCARE_REDIS_URL"] = redis_url
    argv = [sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory"]
    var_dir.mkdir(parents=True, exist_ok=True)
    with (var_dir / "web.log").open("ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [*argv, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=PROJECT_ROOT,
            env=env,
            stderr=log,
        )


async def wait_ready(base: str, deadline: float = 60) -> None:
    async with httpx.AsyncClient() as client:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                if (await client.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not start")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Seeded:
    username: str
    token: str
    person_id: str


async def seed(settings: Settings) -> Seeded:
    """The partnerships, one case worker with a password and a token, and one person."""
    # The web processes sign the audit chain with AUDIT_KEY; so must everything seeded here.
    settings = msgspec.structs.replace(
        settings, audit=msgspec.structs.replace(settings.audit, key=AUDIT_KEY)
    )
    from core.tenancy.models import Organisation, Tenant

    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    username = f"fault.worker.{uuid.uuid4().hex[:8]}"
    try:
        async with factory() as session:
            await sync_tenants(session, load_specs(settings.paths.tenants_dir))
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == TENANT))
            assert tenant is not None
            org = await session.scalar(
                select(Organisation).where(
                    Organisation.tenant_id == tenant.id,
                    Organisation.slug == "turning-point-scotland",
                )
            )
            assert org is not None
            user = User(
                username=username,
                display_name="Fault Worker",
                password_hash=hash_password(PASSWORD),
                is_platform_admin=False,
            )
            session.add(user)
            await session.flush()
            session.add(
                Membership(
                    tenant_id=tenant.id,
                    user_id=user.id,
                    organisation_id=org.id,
                    roles=["case_worker"],
                )
            )
            issued = await issue_token(session, user, settings.security)
            await session.commit()
    finally:
        await engine.dispose()
    person = await _first_person(settings, issued.token)
    return Seeded(username=username, token=issued.token, person_id=person)


async def _first_person(settings: Settings, token: str) -> str:
    """A person made through the API (so the relation and audit rows are the real ones)."""
    from litestar.testing import AsyncTestClient

    from core.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as client:
        made = await client.post(
            f"{API}/persons",
            json={"given_name": "Fault", "family_name": "Subject", "date_of_birth": "1985-05-05"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


# --- Redis outage ----------------------------------------------------------------------


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
    from arq.connections import RedisSettings as ArqRedisSettings
    from arq.connections import create_pool
    from arq.constants import default_queue_name

    from core.jobs.models import OutboxEntry
    from core.jobs.outbox import SWEEP_AFTER, sweep_outbox
    from core.jobs.worker import serializers

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

        def note(kind: str, response: httpx.Response, ok: int = 200) -> None:
            kinds[kind].count(response, ok)
            if state["down"]:
                down_kinds[kind].count(response, ok)

        async def api_client() -> None:
            # Like a script whose HTTP client kept the sign-in's session cookie: bearer
            # requests must work whatever that cookie's store is doing.
            async with httpx.AsyncClient(base_url=base, timeout=15) as client:
                signed_in = await client.post(
                    "/api/v1/auth/login", json={"username": seeded.username, "password": PASSWORD}
                )
                assert signed_in.status_code == 200, signed_in.text
                await ready(client)
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
                signed_in = await client.post(
                    "/api/v1/auth/login", json={"username": seeded.username, "password": PASSWORD}
                )
                assert signed_in.status_code == 200, signed_in.text
                await ready(client)
                while not done.is_set() and time.monotonic() < stop_at:
                    page = await client.get(f"/t/{TENANT}/caseload")
                    note("page", page)
                    if page.status_code == 302 and not state["down"]:
                        # The session went with Redis's memory: sign in again, as a person
                        # sent to the sign-in page would.
                        again = await client.post(
                            "/api/v1/auth/login",
                            json={"username": seeded.username, "password": PASSWORD},
                        )
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
        return OutageFigures(
            kinds=kinds,
            during_outage=down_kinds,
            writes_acknowledged=len(acknowledged),
            writes_lost=len(acknowledged) - int(found or 0),
            jobs_requested=len(rows),
            jobs_undispatched_after_outage=held,
            jobs_dispatched_after_recovery=swept,
            jobs_resent=resent,
            jobs_lost=lost,
            outage_seconds=outage_seconds,
            signed_in_again=dict(signed_in_again),
        )
    finally:
        stop(procs)


# --- concurrent writes on two processes ------------------------------------------------


@dataclass
class WriteFigures:
    writes: int
    processes: int
    failed_requests: int
    writes_lost: int
    audit_missing: int
    audit_doubled: int
    chain_rows_checked: int
    chain_breaks: int  # verify_chain stops at the first break: 0 or 1
    seconds: float
    first_break: str | None = None

    def rows(self) -> list[tuple[str, str]]:
        return [
            (
                "concurrent writes",
                f"{self.writes} intervention writes over {self.processes} web processes "
                f"in {self.seconds:.1f} s",
            ),
            ("concurrent writes: failed requests", str(self.failed_requests)),
            ("concurrent writes: writes lost", str(self.writes_lost)),
            (
                "concurrent writes: audit rows missing / doubled",
                f"{self.audit_missing} / {self.audit_doubled}",
            ),
            (
                "concurrent writes: chain breaks",
                f"{self.chain_breaks} ({self.chain_rows_checked} rows checked)"
                + (f", first: {self.first_break}" if self.first_break else ""),
            ),
        ]


async def concurrent_writes(
    settings: Settings, var_dir: Path, *, writes: int = 200, processes: int = 2
) -> WriteFigures:
    from core.audit.chain import verify_chain
    from core.audit.models import AuditEvent
    from core.interventions.models import Intervention
    from core.tenancy.models import Tenant

    seeded = await seed(settings)
    ports = [free_port() for _ in range(processes)]
    procs = [
        start_web(settings.db.url, None, var_dir / f"web{i}", port) for i, port in enumerate(ports)
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    auth = {"Authorization": f"Bearer {seeded.token}"}
    try:
        await asyncio.gather(*(wait_ready(b) for b in bases))
        limits = httpx.Limits(max_connections=writes, max_keepalive_connections=writes)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:

            async def write(i: int) -> str | None:
                response = await client.post(
                    f"{bases[i % processes]}{API}/interventions",
                    json={
                        "person_id": seeded.person_id,
                        "kind": "one_to_one",
                        "setting": "prison",
                        "occurred_at": "2026-01-01T10:00:00Z",
                        "notes": f"concurrent write {i}",
                    },
                    headers=auth,
                )
                return str(response.json()["id"]) if response.status_code == 201 else None

            started = time.monotonic()
            made = await asyncio.gather(*(write(i) for i in range(writes)))
            seconds = time.monotonic() - started
    finally:
        stop(procs)

    acknowledged = [uuid.UUID(m) for m in made if m is not None]
    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    try:
        async with factory() as session:
            stored = set(
                (
                    await session.scalars(
                        select(Intervention.id).where(Intervention.id.in_(acknowledged))
                    )
                ).all()
            )
            audit = Counter(
                (
                    await session.scalars(
                        select(AuditEvent.record_id).where(
                            AuditEvent.record_type == "intervention",
                            AuditEvent.action == "create",
                            AuditEvent.record_id.in_(acknowledged),
                        )
                    )
                ).all()
            )
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == TENANT))
            assert tenant is not None
            report = await verify_chain(session, AUDIT_KEY.encode(), tenant_id=tenant.id)
    finally:
        await engine.dispose()
    return WriteFigures(
        writes=writes,
        processes=processes,
        failed_requests=writes - len(acknowledged),
        writes_lost=len(acknowledged) - len(stored),
        audit_missing=sum(1 for i in acknowledged if audit[i] == 0),
        audit_doubled=sum(1 for i in acknowledged if audit[i] > 1),
        chain_rows_checked=report.rows_checked,
        chain_breaks=0 if report.ok else 1,
        first_break=None if report.first_break is None else repr(report.first_break),
        seconds=seconds,
    )


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


async def run(
    settings: Settings, var_dir: Path, *, writes: int, clients: int, outage_s: float
) -> list[tuple[str, str]]:
    outage = await redis_outage(settings, var_dir / "outage", clients=clients, outage_s=outage_s)
    written = await concurrent_writes(settings, var_dir / "writes", writes=writes)
    return outage.rows() + written.rows()
