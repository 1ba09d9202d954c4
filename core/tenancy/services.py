"""`throughcare tenants sync`: make the database match tenants/*.toml, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field

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
        elif (current.name, current.kind, current.is_lead, current.attributes) != (
            org.name,
            org.kind,
            org.lead,
            attributes,
        ):
            current.name, current.kind, current.is_lead = org.name, org.kind, org.lead
            current.attributes = attributes
            outcome = "updated" if outcome == "unchanged" else outcome
    # Organisations dropped from the file are kept: their records still point at them.
    return tenant, outcome


async def sync_tenants(session: AsyncSession, specs: list[TenantSpec]) -> SyncReport:
    report = SyncReport()
    for spec in specs:
        _, outcome = await sync_tenant(session, spec)
        getattr(report, outcome).append(spec.slug)
    await session.commit()
    return report
