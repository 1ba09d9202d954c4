"""``throughcare bench http``: the real server and a minimal Litestar app, side by side.

Both are served by uvicorn on loopback with the same worker count and log level; the
real one is started with ``throughcare serve`` over a database made for the run (the
demo partnerships, plus synthetic people in Low Moss). One interleaved run then drives
every case (core.bench.http_load) and prints req/s and p50/p99 per case, and the ratios
issue 14 sets as targets.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
from litestar import Litestar, get

from core.bench.http_load import Case, Result, interleaved


@get("/", sync_to_thread=False)
def anchor_handler() -> dict[str, str]:
    return {"status": "ok"}


# The anchor: what Litestar and uvicorn cost for a JSON answer, with nothing of ours.
anchor_app = Litestar([anchor_handler])

SLUG = "low-moss"
PASSWORD = "demo-password-1"  # noqa: S105 - the demo's published password
USERS = {"nurse": "lowmoss.nurse", "sacro": "lowmoss.sacro.worker", "worker": "lowmoss.tps.worker"}
SECRET = "b" * 48
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Figures(msgspec.Struct):
    case: str
    requests: int
    rate: float
    p50: float
    p99: float
    errors: int


# ---- the database -----------------------------------------------------------------------


async def _seed(url: str, persons: int, say: Callable[[str], None]) -> None:
    from sqlalchemy import insert, select

    from core.authz.models import PersonOrganisation
    from core.db.engine import make_engine, make_session_factory
    from core.demo.loader import load_demo
    from core.persons.models import Person
    from core.settings import PROJECT_ROOT, DatabaseSettings
    from core.tenancy.models import Organisation, Tenant
    from core.tenancy.spec import load_specs

    engine = make_engine(DatabaseSettings(url=url))
    factory = make_session_factory(engine)
    try:
        await load_demo(
            factory, load_specs(PROJECT_ROOT / "tenants"), today=date.today(), password=PASSWORD
        )
        async with factory() as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == SLUG))
            sacro = await session.scalar(
                select(Organisation.id).where(
                    Organisation.tenant_id == tenant_id, Organisation.slug == "sacro"
                )
            )
        now = datetime.now(UTC)
        for start in range(0, persons, 5000):
            people, links = [], []
            for i in range(start, min(persons, start + 5000)):
                pid = uuid.uuid4()
                family = f"Zbench{i % 9973:04d}"  # after the demo people, by name
                people.append(
                    {
                        "tenant_id": tenant_id,
                        "id": pid,
                        "created_at": now,
                        "updated_at": now,
                        "given_name": f"Given{i}",
                        "family_name": family,
                        "sort_name": f"{family} given{i}".lower(),
                        "date_of_birth": date(1970, 1, 1) + timedelta(days=i % 15000),
                        "prison_number": f"H{i:07d}",
                        "location": "in_custody",
                    }
                )
                if i % 5 == 0:  # Sacro works with a fifth of them
                    links.append(
                        {
                            "tenant_id": tenant_id,
                            "organisation_id": sacro,
                            "person_id": pid,
                            "reason": "bench",
                            "since": now,
                        }
                    )
            async with factory() as session:
                await session.execute(insert(Person), people)
                if links:
                    await session.execute(insert(PersonOrganisation), links)
                await session.commit()
            say(f"  {min(persons, start + 5000):,} of {persons:,} extra people")
    finally:
        await engine.dispose()


def prepare(url: str, persons: int, say: Callable[[str], None]) -> None:
    from core.db.migrate import upgrade

    upgrade(url, "heads")  # Alembic runs its own event loop
    asyncio.run(_seed(url, persons, say))


# ---- the processes ----------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def servers(url: str, var_dir: Path, workers: int) -> Iterator[tuple[int, int]]:
    """(real port, anchor port), both serving until the block ends."""
    from core.settings import PROJECT_ROOT

    real, anchor = _free_port(), _free_port()
    anchor_argv = [sys.executable, "-m", "uvicorn", "core.bench.http:anchor_app"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("THROUGHCARE_")}
    env.update(
        {
            "THROUGHCARE_DATABASE_URL": url,
            "THROUGHCARE_SECRET_KEY": SECRET,
            "THROUGHCARE_VAR_DIR": str(var_dir),
            "THROUGHCARE_ENV": "development",
            "THROUGHCARE_LOG_LEVEL": "WARNING",
        }
    )
    log = (var_dir / "servers.log").open("ab")
    common = ["--host", "127.0.0.1", "--workers", str(workers)]
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "-m", "core.cli", "serve", "--port", str(real), *common],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=log,
        ),
        subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [*anchor_argv, "--port", str(anchor), "--log-level", "warning", *common],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=log,
        ),
    ]
    try:
        yield real, anchor
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


async def _ready(base: str, path: str, seconds: float = 60) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(int(seconds * 10)):
            try:
                if (await client.get(f"{base}{path}")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not answer on {path}")


# ---- the cases --------------------------------------------------------------------------


async def _cases(base: str) -> list[Case]:
    """Sign in as each viewer and pick the people the cases read and write."""
    import httpx

    api = f"/api/v1/t/{SLUG}"
    async with httpx.AsyncClient(base_url=base) as client:
        tokens = {}
        for who, username in USERS.items():
            answer = await client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            answer.raise_for_status()
            tokens[who] = answer.json()["token"]

        def bearer(who: str) -> tuple[tuple[str, str], ...]:
            return (("authorization", f"Bearer {tokens[who]}"),)

        listed = await client.get(f"{api}/persons?limit=50", headers=dict(bearer("nurse")))
        listed.raise_for_status()
        record_id = listed.json()["items"][0]["id"]
        # The worker writes for someone it may write for: the first the API accepts.
        write = None
        mine = await client.get(f"{api}/persons?limit=50", headers=dict(bearer("worker")))
        for item in mine.json()["items"]:
            body = {
                "person_id": item["id"],
                "kind": "motivational_interview",
                "setting": "prison",
                "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "duration_minutes": 30,
                "notes": "Benchmark session.",
            }
            tried = await client.post(
                f"{api}/interventions", json=body, headers=dict(bearer("worker"))
            )
            if tried.status_code == 201:
                write = msgspec.json.encode(body)
                page_person = item["id"]
                break
        if write is None:
            raise RuntimeError(
                "the worker may write for none of their first 50 people: "
                f"{len(mine.json()['items'])} listed; last answer {tried.status_code} {tried.text}"
            )
        page = await client.get("/sign-in")
        signed = await client.post(
            "/sign-in",
            data={
                "username": USERS["worker"],
                "password": PASSWORD,
                "next": "/",
                "_csrf_token": CSRF.search(page.text).group(1),  # type: ignore[union-attr]
            },
        )
        if signed.status_code not in (200, 302, 303):
            raise RuntimeError(f"page sign-in answered {signed.status_code}")
        cookie = (("cookie", "; ".join(f"{k}={v}" for k, v in client.cookies.items())),)
    json_body = (("content-type", "application/json"),)
    return [
        Case("health", "GET", "/health"),
        Case("list (nurse)", "GET", f"{api}/persons?limit=50", bearer("nurse")),
        Case("list (sacro worker)", "GET", f"{api}/persons?limit=50", bearer("sacro")),
        Case("record (nurse)", "GET", f"{api}/persons/{record_id}", bearer("nurse")),
        Case(
            "intervention write",
            "POST",
            f"{api}/interventions",
            bearer("worker") + json_body,
            write,
            (201,),
        ),
        Case("HTML caseload page", "GET", f"/t/{SLUG}/caseload", cookie),
        Case("HTML record page", "GET", f"/t/{SLUG}/persons/{page_person}", cookie),
    ]


ANCHOR = "minimal Litestar app (anchor)"


def figures(results: dict[str, Result]) -> list[Figures]:
    return [
        Figures(name, len(r.latencies), r.rate, r.quantile(0.5), r.quantile(0.99), r.errors)
        for name, r in results.items()
    ]


def report(concurrency: int, rows: list[Figures], say: Callable[[str], None]) -> None:
    by = {row.case: row for row in rows}
    anchor = by[ANCHOR]
    say(f"concurrency {concurrency}")
    say(f"  {'case':<32} {'requests':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'÷ anchor':>8}")
    for row in rows:
        ratio = row.rate / anchor.rate if anchor.rate else 0.0
        errors = f"  ({row.errors} errors)" if row.errors else ""
        say(
            f"  {row.case:<32} {row.requests:>8} {row.rate:>9.1f} {row.p50:>8.2f} "
            f"{row.p99:>8.2f} {ratio:>8.3f}{errors}"
        )
    lst = by["list (nurse)"]

    def target(label: str, value: float, goal: float, at_least: bool) -> None:
        met = value >= goal if at_least else value <= goal
        sign = "≥" if at_least else "≤"
        say(f"  target {label}: {value:.2f} ({sign} {goal}) {'met' if met else 'NOT met'}")

    if anchor.rate and lst.rate and lst.p50:
        target("list ÷ anchor req/s", lst.rate / anchor.rate, 0.35, True)
        target("health ÷ anchor req/s", by["health"].rate / anchor.rate, 0.7, True)
        target("record p50 ÷ list p50", by["record (nurse)"].p50 / lst.p50, 1.5, False)
        target("write p50 ÷ list p50", by["intervention write"].p50 / lst.p50, 3.0, False)
        target("HTML caseload ÷ list req/s", by["HTML caseload page"].rate / lst.rate, 0.5, True)


async def measure(
    real: int, anchor: int, concurrency: tuple[int, ...], requests: int, seconds: float
) -> dict[int, list[Figures]]:
    await _ready(f"http://127.0.0.1:{real}", "/health")
    await _ready(f"http://127.0.0.1:{anchor}", "/")
    cases = await _cases(f"http://127.0.0.1:{real}")
    targets = [("127.0.0.1", anchor, Case(ANCHOR, "GET", "/"))]
    targets += [("127.0.0.1", real, case) for case in cases]
    out = {}
    for level in concurrency:
        out[level] = figures(await interleaved(targets, level, requests, seconds))
    return out


def run(
    *,
    persons: int,
    concurrency: tuple[int, ...],
    requests: int,
    seconds: float,
    workers: int,
    database_url: str | None,
    say: Callable[[str], None],
) -> dict[int, list[Figures]]:
    """Make the database, start both servers, measure, print; returns the figures."""
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per setup request
    with tempfile.TemporaryDirectory(prefix="throughcare-bench-http-") as scratch:
        var_dir = Path(scratch)
        url = database_url or f"sqlite+aiosqlite:///{var_dir / 'bench.db'}"
        say(f"database: {url.split('://')[0]}; {persons:,} extra people; {workers} worker(s)")
        prepare(url, persons, say)
        with servers(url, var_dir, workers) as (real, anchor):
            results = asyncio.run(measure(real, anchor, concurrency, requests, seconds))
        for level, rows in results.items():
            report(level, rows, say)
        return results
