"""The `throughcare` command: serve, worker, db, tenants, demo, users, audit."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.settings import Settings, SettingsError, get_settings

T = TypeVar("T")
console = Console()

# Fictional data only, and `demo load` refuses production: not a secret.
DEMO_PASSWORD = "demo-password-1"  # noqa: S105


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _run(fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``fn(session_factory)`` against the configured database, then dispose of it."""
    from core.db.engine import make_engine, make_session_factory

    async def main() -> T:
        engine = make_engine(_settings().db)
        try:
            return await fn(make_session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Throughcare: a multi-agency partnership portal."""


@main.command()
@click.option("--host", default=None, help="Overrides THROUGHCARE_HOST.")
@click.option("--port", type=int, default=None, help="Overrides THROUGHCARE_PORT.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes sharing the port; overrides THROUGHCARE_SERVER_WORKERS (default 1).",
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the portal (uvicorn, one or more worker processes)."""
    import uvicorn

    settings = _settings()
    count = workers or settings.server.workers
    if count > 1 and settings.redis.url is None:
        # Each process would run its own in-process job loop: say so rather than surprise.
        console.print(
            "[yellow]Several workers without THROUGHCARE_REDIS_URL: each runs the "
            "in-process jobs; set Redis and run `throughcare worker` in production.[/yellow]"
        )
    uvicorn.run(
        "core.app:create_app",
        factory=True,
        host=host or settings.server.host,
        port=port or settings.server.port,
        workers=count,
        log_level=settings.server.log_level.lower(),
        # X-Forwarded-* are applied in the app, from THROUGHCARE_TRUSTED_PROXIES only.
        proxy_headers=False,
        server_header=False,  # no "server: uvicorn" advertising the stack
    )


@main.command()
def worker() -> None:
    """Run the arq job worker (needs THROUGHCARE_REDIS_URL)."""
    from core.jobs.worker import run_worker

    if not _settings().redis.url:
        raise click.ClickException(
            "THROUGHCARE_REDIS_URL is not set: without Redis, jobs run inside `throughcare serve`."
        )
    run_worker(_settings())


@main.group()
def db() -> None:
    """Schema migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database up to a revision."""
    from core.db.migrate import upgrade

    settings = _settings()
    if settings.db.is_sqlite:
        settings.paths.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.db.url, revision)
    console.print(f"[green]Database at {revision}.[/green]")


@db.command("downgrade")
@click.option("--revision", default="-1", show_default=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_downgrade(revision: str, yes: bool) -> None:
    """Migrate the database down (destroys data in dropped tables)."""
    from core.db.migrate import downgrade

    if not yes:
        click.confirm(
            f"Downgrading to {revision!r} drops tables and their data. Continue?", abort=True
        )
    downgrade(_settings().db.url, revision)
    console.print(f"[yellow]Database downgraded to {revision}.[/yellow]")


@main.group()
def tenants() -> None:
    """Partnerships declared in tenants/*.toml."""


@tenants.command("sync")
def tenants_sync() -> None:
    """Create or update partnerships and organisations from the tenant files (idempotent)."""
    from core.tenancy.services import sync_tenants
    from core.tenancy.spec import TenantFileError, load_specs

    settings = _settings()
    try:
        specs = load_specs(settings.paths.tenants_dir)
    except TenantFileError as exc:
        raise click.ClickException(str(exc)) from None

    async def go(factory: Any) -> Any:
        async with factory() as session:
            return await sync_tenants(session, specs)

    report = _run(go)
    for outcome in ("created", "updated", "unchanged"):
        for slug in getattr(report, outcome):
            console.print(f"  {slug}: {outcome}")


@main.group()
def demo() -> None:
    """Synthetic demonstration data."""


@demo.command("load")
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The demo's 'today' (default: the real date).",
)
@click.option("--force", is_flag=True, help="Allow loading in production (never do this).")
def demo_load(today: Any, force: bool) -> None:
    """Load the demo partnerships' users and fictional case data (idempotent)."""
    from core.demo.loader import load_demo
    from core.tenancy.spec import load_specs

    settings = _settings()
    if settings.server.environment == "production" and not force:
        raise click.ClickException("Refusing to load demo data in production.")
    specs = load_specs(settings.paths.tenants_dir)
    day = today.date() if today else date.today()

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        async def go(factory: Any) -> Any:
            return await load_demo(
                factory, specs, today=day, password=DEMO_PASSWORD, progress=progress
            )

        report = _run(go)
    print_demo_logins(report)


def print_demo_logins(report: Any) -> None:
    table = Table(title=f"Demo sign-ins (password for all: {DEMO_PASSWORD})")
    table.add_column("partnership")
    table.add_column("username")
    for tenant in report.tenants:
        for username in tenant.usernames:
            table.add_row(tenant.slug, username)
    console.print(table)


@main.group()
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


@main.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name shown to colleagues.")
@click.option("--tenant", help="Partnership slug for the membership.")
@click.option("--organisation", help="Organisation slug within the partnership.")
@click.option("--role", "roles", multiple=True, help="Role (repeatable).")
@click.option("--platform-admin", is_flag=True, help="Runs the platform; sees no case data.")
@click.password_option(help="Prompted for when not given.")
def users_create(
    username: str,
    display_name: str,
    tenant: str | None,
    organisation: str | None,
    roles: tuple[str, ...],
    platform_admin: bool,
    password: str,
) -> None:
    """Create a user, optionally a member of one partnership."""
    from core.accounts.admin import create_member

    if bool(tenant) != bool(organisation) or (tenant and not roles):
        raise click.UsageError("--tenant, --organisation and at least one --role go together")

    async def go(factory: Any) -> Any:
        async with factory() as session:
            return await create_member(
                session,
                username,
                display_name,
                password,
                tenant=tenant,
                organisation=organisation,
                roles=list(roles),
                is_platform_admin=platform_admin,
            )

    try:
        _run(go)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"[green]Created {username.lower()}.[/green]")


@users.command("reset-password")
@click.argument("username")
@click.password_option(help="Prompted for when not given.")
def users_reset_password(username: str, password: str) -> None:
    """Set a new password; every token the user holds is revoked."""
    from core.accounts.admin import reset_user_password

    async def go(factory: Any) -> Any:
        async with factory() as session:
            return await reset_user_password(session, username, password)

    try:
        _run(go)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"[green]Password reset for {username.lower()}; tokens revoked.[/green]")


@main.group()
def audit() -> None:
    """Check and keep the tamper-evident audit trail."""


# Partnership slugs by tenant id, for the audit commands' output.
_AUDIT_LABELS: dict[Any, str] = {}


def _audit_chains(tenant: str | None, then: Callable[[Any, list[Any]], Awaitable[T]]) -> T:
    from sqlalchemy import select

    from core.audit.jobs import chains
    from core.tenancy.models import Tenant

    async def go(factory: Any) -> T:
        async with factory() as session:
            try:
                tenant_ids = await chains(session, tenant)
            except LookupError as exc:
                raise click.ClickException(str(exc)) from None
            labels = await session.execute(select(Tenant.id, Tenant.slug))
            _AUDIT_LABELS.update({tid: slug for tid, slug in labels.all()})
        return await then(factory, tenant_ids)

    return _run(go)


def _print_reports(reports: list[Any]) -> bool:
    """One line per chain; True when every chain verified."""
    for r in reports:
        label = "platform" if r.tenant_id is None else _AUDIT_LABELS.get(r.tenant_id, r.chain)
        if r.ok:
            extra = f", {r.unchained_rows} written before chaining" if r.unchained_rows else ""
            since = f" from cut at seq {r.start_seq}" if r.start_seq else ""
            click.echo(f"chain {label}: ok, {r.rows_checked} rows{since}{extra}")
        else:
            b = r.first_break
            # Plain echo, not rich: a break's line must never wrap or be read as markup.
            click.echo(
                f"chain {label}: BROKEN at seq {b.seq}"
                f"{f' (row {b.id})' if b.id else ''}: {b.problem}: {b.message}"
            )
    return all(r.ok for r in reports)


@audit.command("verify")
@click.option("--tenant", help="Partnership slug; default every chain and the platform's.")
def audit_verify(tenant: str | None) -> None:
    """Recompute every chain's hashes; name the first broken row; exit 1 on a break."""
    from core.audit.jobs import verify_all

    settings = _settings()
    reports = _audit_chains(tenant, lambda f, ids: verify_all(f, settings, ids))
    if not _print_reports(reports):
        sys.exit(1)


@audit.command("checkpoint")
@click.option("--tenant", help="Partnership slug; default every chain and the platform's.")
def audit_checkpoint(tenant: str | None) -> None:
    """Verify, then write each verified chain's head, signed, to the checkpoint directory."""
    from core.audit.chain import checkpoint_dir
    from core.audit.jobs import checkpoint_reports, verify_all

    settings = _settings()
    reports = _audit_chains(tenant, lambda f, ids: verify_all(f, settings, ids))
    ok = _print_reports(reports)
    written = checkpoint_reports(settings, reports)
    click.echo(f"{len(written)} checkpoint(s) written to {checkpoint_dir(settings)}")
    if not ok:
        sys.exit(1)


@audit.command("prune")
@click.option(
    "--days", type=click.IntRange(min=1), help="Overrides THROUGHCARE_AUDIT_RETENTION_DAYS."
)
@click.option("--tenant", help="Partnership slug; default every chain and the platform's.")
def audit_prune(days: int | None, tenant: str | None) -> None:
    """Delete audit events older than the retention period from chains that verify,
    leaving a signed checkpoint at each cut."""
    from core.audit.jobs import prune_all, verify_all

    settings = _settings()
    days = days or settings.audit.retention_days
    if days is None:
        raise click.ClickException("no retention period: set THROUGHCARE_AUDIT_RETENTION_DAYS")

    async def go(factory: Any, ids: list[Any]) -> tuple[list[Any], list[Any]]:
        reports = await verify_all(factory, settings, ids)
        verified = [r.tenant_id for r in reports if r.ok]
        return reports, await prune_all(factory, settings, verified, days)

    reports, results = _audit_chains(tenant, go)
    ok = _print_reports(reports)
    for result in results:
        click.echo(f"chain {result.chain}: {result.deleted} rows pruned, cut at {result.cut_seq}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
