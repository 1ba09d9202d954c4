"""The `throughcare` command: serve, worker, db, tenants, demo, users, audit, bench.

Each group of subcommands lives in its own module of this package."""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.cli.accounts import users
from core.cli.audit import audit
from core.cli.bench import bench
from core.cli.common import _run, _settings, console

# Fictional data only, and `demo load` refuses production: not a secret.
DEMO_PASSWORD = "demo-password-1"  # noqa: S105


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


for group in (bench, users, audit):
    main.add_command(group)
