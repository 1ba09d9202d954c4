"""Load the demo partnerships: their users, memberships and synthetic case data.

Idempotent. Tenants are synced from their files first; a demo user who already exists
is reused (never duplicated, password untouched) and only a missing membership is added;
a partnership that already has people keeps its case data and is reported as skipped.
Each partnership is written in one transaction, so a failure leaves nothing half-loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts.models import Membership, User
from core.accounts.passwords import hash_password
from core.authz.relations import rebuild as rebuild_relations
from core.demo.generator import OrgRef, UserRef, generate
from core.persons.models import Person
from core.tenancy.models import Organisation, Tenant
from core.tenancy.services import sync_tenants
from core.tenancy.spec import TenantSpec

Progress = Callable[[str, int, int], None]

# Rows per INSERT ... VALUES batch: large enough to be fast, small enough to show progress.
CHUNK = 1000


@dataclass
class TenantDemoReport:
    slug: str
    usernames: list[str]
    users_created: int = 0
    memberships_created: int = 0
    # True when the partnership already had people: its case data was left alone.
    skipped: bool = False
    # Rows created per table, e.g. {"persons": 600, "referrals": 702, ...}.
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class DemoReport:
    tenants: list[TenantDemoReport] = field(default_factory=list)

    def tenant(self, slug: str) -> TenantDemoReport:
        return next(t for t in self.tenants if t.slug == slug)


class _PasswordHash:
    """argon2 is slow on purpose: hash the demo password once, only if a user is new."""

    def __init__(self, password: str) -> None:
        self._password = password
        self._hash: str | None = None

    def __call__(self) -> str:
        if self._hash is None:
            self._hash = hash_password(self._password)
        return self._hash


async def _demo_users(
    session: AsyncSession,
    spec: TenantSpec,
    tenant: Tenant,
    orgs: dict[str, Organisation],
    password_hash: _PasswordHash,
    report: TenantDemoReport,
) -> list[UserRef]:
    slug_of = {o.id: o.slug for o in orgs.values()}
    users: list[UserRef] = []
    for demo_user in spec.demo.users:
        username = demo_user.username.lower()
        user = await session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                display_name=demo_user.display_name,
                password_hash=password_hash(),
            )
            session.add(user)
            await session.flush()
            report.users_created += 1
        membership = await session.scalar(
            select(Membership).where(
                Membership.tenant_id == tenant.id, Membership.user_id == user.id
            )
        )
        if membership is None:
            membership = Membership(
                tenant_id=tenant.id,
                user_id=user.id,
                organisation_id=orgs[demo_user.organisation].id,
                roles=list(demo_user.roles),
            )
            session.add(membership)
            await session.flush()
            report.memberships_created += 1
        users.append(
            UserRef(
                id=user.id,
                username=username,
                display_name=user.display_name,
                organisation=slug_of.get(membership.organisation_id, demo_user.organisation),
                roles=tuple(membership.roles),
            )
        )
    return users


async def _load_tenant(
    session: AsyncSession,
    spec: TenantSpec,
    today: date,
    password_hash: _PasswordHash,
    progress: Progress,
) -> TenantDemoReport:
    report = TenantDemoReport(
        slug=spec.slug, usernames=[u.username.lower() for u in spec.demo.users]
    )
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == spec.slug))
    if tenant is None:  # sync_tenants has just run: only a concurrent delete gets here
        raise RuntimeError(f"tenant {spec.slug} is missing after sync")
    orgs = {
        o.slug: o
        for o in (
            await session.scalars(select(Organisation).where(Organisation.tenant_id == tenant.id))
        ).all()
    }
    users = await _demo_users(session, spec, tenant, orgs, password_hash, report)
    progress(f"{spec.slug}: users", len(users), len(spec.demo.users))

    has_people = await session.scalar(
        select(Person.id).where(Person.tenant_id == tenant.id).limit(1)
    )
    if has_people is not None:
        report.skipped = True
        return report

    # The file's order, not the database's, so generation never depends on row order.
    refs = [
        OrgRef(id=orgs[o.slug].id, slug=o.slug, name=o.name, kind=str(o.kind), is_lead=o.lead)
        for o in spec.organisations
    ]
    data = generate(
        spec,
        tenant_id=tenant.id,
        organisations=refs,
        users=users,
        today=today,
        progress=lambda done, total: progress(f"{spec.slug}: generating", done, total),
    )
    for model, rows in data.rows.items():
        stage = f"{spec.slug}: {model.__tablename__}"
        if not rows:
            progress(stage, 0, 0)
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(model.__table__), rows[start : start + CHUNK])
            progress(stage, min(start + CHUNK, len(rows)), len(rows))
    report.counts = data.counts()
    # Bulk rows bypass the services, so who-works-with-whom is derived from them here.
    await rebuild_relations(session, tenant.id)
    plugin_tables = await _plugin_demo(session, spec, tenant, orgs, users, today)
    # Plugins add rows to their own tables and to core's (a consent, a referral): the
    # tenant had no case data before this load, so its rows now are what was created.
    for table in [*(model.__table__ for model in data.rows), *plugin_tables]:
        count = int(
            await session.scalar(
                select(func.count()).select_from(table).where(table.c.tenant_id == tenant.id)
            )
            or 0
        )
        report.counts[table.name] = count
        progress(f"{spec.slug}: {table.name}", count, count)
    return report


async def _plugin_demo(
    session: AsyncSession,
    spec: TenantSpec,
    tenant: Tenant,
    orgs: dict[str, Organisation],
    users: list[UserRef],
    today: date,
) -> list[Table]:
    """The enabled plugins' demo rows, after core's and in the same transaction.

    Loaders read ``core.clock.today()``, moved to the demo's ``today`` while they run,
    so their rows line up with core's liberation dates and appointments. Returns the
    enabled plugins' own tables.
    """
    import logging
    from random import Random

    from core import clock
    from core.hooktypes import DemoContext
    from core.plugins import collect, get_plugin_manager, tenant_hook

    pm = get_plugin_manager()
    hook = tenant_hook(pm, "register_demo_loaders", tenant.plugins)
    loaders = [loader for answer in collect(hook) for loader in answer]
    models = tenant_hook(pm, "register_models", tenant.plugins)
    tables = [model.__table__ for answer in collect(models) for model in answer]
    if not loaders:
        return tables
    persons = list(
        (
            await session.scalars(
                select(Person.id).where(Person.tenant_id == tenant.id).order_by(Person.id)
            )
        ).all()
    )
    with clock.moved(to=today):
        for loader in loaders:
            name = f"{loader.__module__}.{loader.__qualname__}"
            context = DemoContext(
                session=session,
                tenant_id=tenant.id,
                tenant_slug=tenant.slug,
                # Seeded per loader: one plugin's rows never shift another's.
                random=Random(f"{spec.demo.seed}:{name}"),  # noqa: S311 - demo data
                organisations={slug: org.id for slug, org in orgs.items()},
                users={u.username: u.id for u in users},
                persons=persons,
            )
            try:
                # A broken plugin loses only its own rows, never core's demo.
                async with session.begin_nested():
                    await loader(context)
            except Exception:
                logging.getLogger("throughcare.demo").exception(
                    "%s: demo loader %s failed; its rows are skipped", tenant.slug, name
                )
    return tables


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


async def load_demo(
    session_factory: async_sessionmaker[AsyncSession],
    specs: list[TenantSpec],
    *,
    today: date,
    password: str,
    progress: Progress | None = None,
) -> DemoReport:
    """Sync the tenants, create their demo users, and generate each one's case data.

    The same ``[demo] seed`` and ``today`` always produce the same data. Running it again
    creates nothing: users are found by username, partnerships with people are skipped.
    """
    report = DemoReport()
    async with session_factory() as session:
        await sync_tenants(session, specs)
    password_hash = _PasswordHash(password)
    for spec in specs:
        async with session_factory() as session:
            tenant_report = await _load_tenant(
                session, spec, today, password_hash, progress or _no_progress
            )
            await session.commit()
        report.tenants.append(tenant_report)
    return report
