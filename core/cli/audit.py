"""`throughcare audit`: verify the hash chains, checkpoint them, prune by retention."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import click

from core.cli.common import T, _run, _settings


@click.group()
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
