"""`throughcare bench`: the sharing, HTTP and fault benchmarks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import click

from core.cli.common import _settings


@click.group()
def bench() -> None:
    """Benchmarks that print what they measure."""


@bench.command("sharing")
@click.option(
    "--persons", default=100_000, show_default=True, help="People to build (1M: 1000000)."
)
@click.option(
    "--protocol-lines",
    "protocol_lines",
    multiple=True,
    type=int,
    default=(1_000, 100_000),
    show_default=True,
    help="Protocol sizes to measure (repeatable).",
)
@click.option("--pages", default=200, show_default=True, help="Caseload pages timed per case.")
@click.option(
    "--postgres",
    default=None,
    help="Also on PostgreSQL: a URL of a server where a scratch database may be created.",
)
def bench_sharing(
    persons: int, protocol_lines: tuple[int, ...], pages: int, postgres: str | None
) -> None:
    """Caseload latency and throughput with authorization on and off, on SQLite (and
    PostgreSQL), with small and large protocols, and enforce() calls per request."""
    import tempfile
    from pathlib import Path

    from core.bench.sharing import report, run
    from core.db.engine import make_engine, make_session_factory
    from core.db.migrate import upgrade
    from core.settings import DatabaseSettings

    async def one(url: str) -> Any:
        engine = make_engine(DatabaseSettings(url=url, pool_size=5))
        try:
            return await run(
                make_session_factory(engine), persons, list(protocol_lines), pages, click.echo
            )
        finally:
            await engine.dispose()

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        upgrade(url)
        report("SQLite", persons, asyncio.run(one(url)), click.echo)
    if postgres:
        from core.bench.postgres import scratch_database

        with scratch_database(postgres) as url:
            upgrade(url)
            report("PostgreSQL", persons, asyncio.run(one(url)), click.echo)


@bench.command("http")
@click.option("--persons", default=100_000, show_default=True, help="Extra people in Low Moss.")
@click.option(
    "--concurrency",
    multiple=True,
    type=click.IntRange(min=1),
    default=(1, 8),
    show_default=True,
    help="Clients at once (repeatable).",
)
@click.option("--requests", default=2_000, show_default=True, help="At most, per case and level.")
@click.option("--seconds", default=6.0, show_default=True, help="At most, per case and level.")
@click.option("--workers", default=1, show_default=True, help="Server processes for both apps.")
@click.option(
    "--database-url",
    default=None,
    help="A postgresql+asyncpg:// server URL (a scratch database is made on it); default SQLite.",
)
def bench_http(
    persons: int,
    concurrency: tuple[int, ...],
    requests: int,
    seconds: float,
    workers: int,
    database_url: str | None,
) -> None:
    """The real server and a minimal Litestar app over HTTP, in one interleaved run: req/s
    and p50/p99 per case, and the ratios to the minimal app."""
    from contextlib import nullcontext

    from core.bench.http import run
    from core.bench.postgres import scratch_database

    scratch = scratch_database(database_url) if database_url else nullcontext(None)
    with scratch as url:
        run(
            persons=persons,
            concurrency=concurrency,
            requests=requests,
            seconds=seconds,
            workers=workers,
            database_url=url,
            say=click.echo,
        )


@bench.command("faults")
@click.option("--postgres", default=None, help="A PostgreSQL server URL for a scratch database.")
@click.option("--writes", default=500, show_default=True, help="Concurrent intervention writes.")
@click.option("--clients", default=6, show_default=True, help="API and page clients each.")
@click.option("--outage-seconds", "outage_s", default=5.0, show_default=True)
def bench_faults(postgres: str | None, writes: int, clients: int, outage_s: float) -> None:
    """The portal under faults on real processes: its own Redis killed under load, and
    concurrent writes over two web processes (PostgreSQL only); prints the figures."""
    import tempfile
    from pathlib import Path

    import msgspec

    from core.bench.faults import concurrent_writes, redis_outage, table
    from core.db.migrate import upgrade

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the table

    def on(url: str) -> Any:
        settings = _settings()
        return msgspec.structs.replace(settings, db=msgspec.structs.replace(settings.db, url=url))

    async def both(url: str, var: Path) -> list[tuple[str, str]]:
        settings = on(url)
        outage = await redis_outage(settings, var / "outage", clients=clients, outage_s=outage_s)
        written = await concurrent_writes(settings, var / "writes", writes=writes)
        return outage.rows() + written.rows()

    with tempfile.TemporaryDirectory() as scratch:
        var = Path(scratch)
        if postgres:
            from core.bench.postgres import scratch_database

            with scratch_database(postgres) as url:
                upgrade(url)
                rows = asyncio.run(both(url, var))
        else:
            url = f"sqlite+aiosqlite:///{var / 'bench.db'}"
            upgrade(url)
            outage = redis_outage(on(url), var / "outage", clients=clients, outage_s=outage_s)
            rows = asyncio.run(outage).rows()
            rows.append(("concurrent writes", "not run: needs --postgres"))
    click.echo(table(rows))
