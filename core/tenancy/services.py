"""`throughcare tenants sync`: make the database match tenants/*.toml, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pluggy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy.models import Organisation, Tenant
from core.tenancy.spec import TenantSpec


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


async def sync_tenant(session: AsyncSession, spec: TenantSpec) -> tuple[Tenant, str]:
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == spec.slug))
    outcome = "unchanged"
    if tenant is None:
        tenant = Tenant(slug=spec.slug, name=spec.name, nation=spec.nation, config=spec.config())
        session.add(tenant)
        await session.flush()
        outcome = "created"
    elif (tenant.name, tenant.nation, tenant.config) != (spec.name, spec.nation, spec.config()):
        tenant.name, tenant.nation, tenant.config = spec.name, spec.nation, spec.config()
        outcome = "updated"

    existing = {
        o.slug: o
        for o in (
            await session.scalars(select(Organisation).where(Organisation.tenant_id == tenant.id))
        ).all()
    }
    for org in spec.organisations:
        attributes = (
            {"housing_registration": org.housing_registration} if org.housing_registration else {}
        )
        current = existing.get(org.slug)
        if current is None:
            session.add(
                Organisation(
                    tenant_id=tenant.id,
                    slug=org.slug,
                    name=org.name,
                    kind=org.kind,
                    is_lead=org.lead,
                    attributes=attributes,
                )
            )
            outcome = "updated" if outcome == "unchanged" else outcome
        elif (current.is_lead, current.attributes) != (org.lead, attributes):
            # The file seeds an organisation's name and kind; once it exists the lead runs it
            # from the portal (core/administration), and a sync must not undo a rename.
            current.is_lead = org.lead
            current.attributes = attributes
            outcome = "updated" if outcome == "unchanged" else outcome
    # Organisations dropped from the file are kept: their records still point at them.
    return tenant, outcome


async def seed_protocol(
    session: AsyncSession, tenant: Tenant, policies_dir: Path, pm: pluggy.PluginManager
) -> bool:
    """Give a tenant with no protocol yet its template's; a live protocol is never touched."""
    from core.authz.protocol import Vocabulary, live_version, parse, seed_text, store_version
    from core.vocabulary import tenant_categories

    if await live_version(session, tenant.id) is not None:
        return False
    text = seed_text(policies_dir, pm, tenant)
    vocabulary = Vocabulary(
        domain=tenant.slug,
        roles=frozenset(tenant.roles),
        categories=frozenset(tenant_categories(pm, tenant.plugins)),
    )
    parse(text, vocabulary)  # a bad template fails the sync, naming the line
    name = tenant.config.get("protocol") or tenant.slug
    await store_version(
        session, tenant, text, reason=f"Seeded from the {name} template", user_id=None
    )
    return True


async def sync_tenants(
    session: AsyncSession,
    specs: list[TenantSpec],
    *,
    policies_dir: Path | None = None,
    pm: pluggy.PluginManager | None = None,
) -> SyncReport:
    from core.plugins import get_plugin_manager
    from core.settings import PROJECT_ROOT

    report = SyncReport()
    for spec in specs:
        tenant, outcome = await sync_tenant(session, spec)
        await session.flush()
        seeded = await seed_protocol(
            session, tenant, policies_dir or PROJECT_ROOT / "policies", pm or get_plugin_manager()
        )
        if seeded and outcome == "unchanged":
            outcome = "updated"
        getattr(report, outcome).append(spec.slug)
    await session.commit()
    return report
