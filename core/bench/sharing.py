"""``throughcare bench sharing``: what the sharing engine costs a caseload page.

Builds one partnership with N people (interventions, consents, who-works-with-whom) in a
fresh database, then times the caseload page — the persons list, keyset-paginated, 50 a
page, as ``PersonService.list`` runs it — with authorization on (the request's Access,
the compiled grants, the protocol in the SQL) and off (the same page of the same
partnership with no protocol in the way), for users at each scope, under a 1k-line and a
100k-line protocol. The cases run interleaved, page by page, so the machine's other work
falls on all of them alike. It counts enforce() calls per request from the policy store.
It then times name and prison-number search and the HTML caseload page, before and after
(core.bench.scaling). Every number printed is measured in this run."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts.models import Membership, User
from core.authz.access import Access
from core.authz.actor import Actor, CurrentUser, resolve_actor
from core.authz.enforcer import PolicyStore, TenantPolicy
from core.authz.models import PersonAssignment, PersonOrganisation, ProtocolVersion
from core.bench import scaling
from core.consents.models import Consent
from core.interventions.models import Intervention
from core.pagination import cursor_key, page_of
from core.persons.models import Person
from core.persons.services import caseload_query, caseload_statement, page_params
from core.settings import PROJECT_ROOT
from core.tenancy.models import Organisation, Tenant
from core.vocabulary import CORE_CATEGORIES

PAGE = 50
SLUG = "bench"
ORGS = [("prison", "prison"), ("nhs", "nhs"), ("tps", "third_sector"), ("sacro", "third_sector")]
# Whom each measured user is, and the rule that makes the caseload theirs.
USERS = {
    "nurse (partnership)": (
        "nhs",
        "nhs_nurse",
        "p, k:nhs, bench, identity, read, partnership, no_consent",
    ),
    "key worker (own organisation)": (
        "tps",
        "case_worker",
        "p, r:case_worker, bench, identity, read, own_organisation, no_consent",
    ),
    "officer (partnership, consent)": (
        "prison",
        "prison_officer",
        "p, r:prison_officer, bench, identity, read, partnership, consent",
    ),
}


class Result(msgspec.Struct):
    user: str
    protocol_lines: int
    authorized_ms: float
    unauthorized_ms: float
    authorized_per_s: float
    unauthorized_per_s: float
    ratio: float
    enforce_per_request: float
    rows: int


def protocol(lines: int) -> str:
    """The measured users' rules plus filler rules for roles nobody holds."""
    real = [rule for _, _, rule in USERS.values()]
    filler = [
        f"p, r:filler_{i}, {SLUG}, {CORE_CATEGORIES[i % len(CORE_CATEGORIES)]}, read, "
        f"{('assigned', 'own_organisation', 'partnership')[i % 3]}, no_consent"
        for i in range(max(0, lines - len(real)))
    ]
    return "\n".join([*filler[: len(filler) // 2], *real, *filler[len(filler) // 2 :]])


async def build(
    factory: async_sessionmaker[AsyncSession], persons: int, say: Callable[[str], None]
) -> dict[str, Any]:
    rng = random.Random(2014)  # noqa: S311 - synthetic data, reproducible on purpose
    now = datetime.now(UTC)
    async with factory() as session:
        tenant = Tenant(slug=SLUG, name="Benchmark partnership", nation="scotland", config={})
        session.add(tenant)
        await session.flush()
        orgs = {
            slug: Organisation(tenant_id=tenant.id, slug=slug, name=slug, kind=kind)
            for slug, kind in ORGS
        }
        session.add_all(orgs.values())
        users: dict[str, Actor] = {}
        for label, (org, role, _) in USERS.items():
            user = User(username=f"bench-{role}", display_name=label, password_hash="-")  # noqa: S106 - cannot sign in
            session.add(user)
            await session.flush()
            membership = Membership(
                tenant_id=tenant.id, user_id=user.id, organisation_id=orgs[org].id, roles=[role]
            )
            session.add(membership)
            await session.flush()
            # As a request resolves it (including "holds no break-glass grant").
            await session.commit()
            current = CurrentUser(user.id, user.username, label, is_platform_admin=False)
            actor = await resolve_actor(session, current, SLUG)
            if actor is None:
                raise RuntimeError(f"{label}: no membership in the bench partnership")
            users[label] = actor
        await session.commit()
        tenant_id = tenant.id
        org_ids = {slug: o.id for slug, o in orgs.items()}
        worker_id = users["key worker (own organisation)"].user_id

    batch = 5000
    for start in range(0, persons, batch):
        rows, links, assigned, consents, interventions = [], [], [], [], []
        for i in range(start, min(persons, start + batch)):
            pid = uuid.uuid4()
            family = f"Family{rng.randrange(100000):05d}"
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "id": pid,
                    "created_at": now,
                    "updated_at": now,
                    "given_name": f"Given{i}",
                    "family_name": family,
                    "sort_name": f"{family} given{i}".lower(),
                    "date_of_birth": date(1970, 1, 1) + timedelta(days=rng.randrange(15000)),
                    "prison_number": f"B{i:07d}",
                    "location": "in_custody",
                }
            )
            # Each third-sector partner works with about a fifth of the caseload.
            for org in ("tps", "sacro"):
                if rng.random() < 0.2:
                    links.append(
                        {
                            "tenant_id": tenant_id,
                            "organisation_id": org_ids[org],
                            "person_id": pid,
                            "reason": "bench",
                            "since": now,
                        }
                    )
            if rng.random() < 0.01:
                assigned.append(
                    {
                        "tenant_id": tenant_id,
                        "user_id": worker_id,
                        "person_id": pid,
                        "reason": "bench",
                        "since": now,
                    }
                )
            if rng.random() < 0.3:
                consents.append(
                    {
                        "tenant_id": tenant_id,
                        "id": uuid.uuid4(),
                        "created_at": now,
                        "person_id": pid,
                        "category": "identity",
                        "recipient_kind": "prison",
                        "purpose": "bench",
                        "lawful_basis": "consent",
                        "given_at": now - timedelta(days=30),
                    }
                )
            interventions.append(
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "created_at": now,
                    "person_id": pid,
                    "organisation_id": org_ids["tps"],
                    "kind": "one_to_one",
                    "category": "case_notes",
                    "setting": "prison",
                    "occurred_at": now - timedelta(days=rng.randrange(300)),
                }
            )
        async with factory() as session:
            await session.execute(insert(Person), rows)
            if links:
                await session.execute(insert(PersonOrganisation), links)
            if assigned:
                await session.execute(insert(PersonAssignment), assigned)
            if consents:
                await session.execute(insert(Consent), consents)
            await session.execute(insert(Intervention), interventions)
            await session.commit()
        say(f"  built {min(persons, start + batch):,} of {persons:,} people")
    # What autovacuum (PostgreSQL) or a maintenance job (SQLite) would have done; VACUUM
    # runs outside a transaction.
    async with factory() as session:
        engine = session.bind
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    return {"tenant_id": tenant_id, "users": users}


async def set_protocol(
    factory: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, lines: int
) -> int:
    async with factory() as session:
        current = await session.scalar(
            select(ProtocolVersion.version)
            .where(ProtocolVersion.tenant_id == tenant_id)
            .order_by(ProtocolVersion.version.desc())
            .limit(1)
        )
        number = (current or 0) + 1
        session.add(
            ProtocolVersion(
                tenant_id=tenant_id, version=number, rules=protocol(lines), reason=f"bench {lines}"
            )
        )
        await session.commit()
        return number


async def caseload_page(
    session: AsyncSession, actor: Actor, access: Access | None, cursor: str | None
) -> tuple[int, str | None]:
    if access is not None:  # as PersonService.list runs it, with no search or filter
        stmt, params = caseload_query(access, q=None, location=None, cursor=cursor, limit=PAGE)
    else:  # the same page of the same partnership, with no protocol in the way
        after = cursor_key(cursor, 2, [None, uuid.UUID])
        stmt = caseload_statement(None, actor.tenant_id, after is not None)
        params = page_params(after, PAGE + 1)
    rows = list((await session.execute(stmt, params)).all())
    rows, next_cursor = page_of(rows, PAGE, lambda p: [p.sort_name, str(p.id)])
    return len(rows), next_cursor


class Timed(msgspec.Struct):
    """One user's consecutive caseload pages: under one protocol, or with none (off)."""

    policy: TenantPolicy | None
    times: list[float] = msgspec.field(default_factory=list)
    cursor: str | None = None
    rows: int = 0


async def one_page(
    factory: async_sessionmaker[AsyncSession], store: PolicyStore, actor: Actor, timed: Timed
) -> None:
    """The next page, as one request would run it, timed."""
    started = time.perf_counter()
    async with factory() as session:
        access = None
        if timed.policy is not None:
            access = Access(session, actor, store, timed.policy, list(CORE_CATEGORIES))
        count, timed.cursor = await caseload_page(session, actor, access, timed.cursor)
    timed.times.append(time.perf_counter() - started)
    timed.rows += count  # after the last page the cursor is None: start again at the first


async def measure(
    factory: async_sessionmaker[AsyncSession],
    store: PolicyStore,
    actor: Actor,
    policies: list[TenantPolicy],
    pages: int,
) -> tuple[list[Timed], Timed]:
    """``pages`` pages under each protocol and with authorization off, interleaved.

    Page by page, in a rotating order, so that whatever else the machine is doing falls
    on every case alike rather than on whichever ran last.
    """
    cases = [*(Timed(policy) for policy in policies), Timed(None)]
    for page in range(pages):
        turn = page % len(cases)
        for timed in cases[turn:] + cases[:turn]:
            await one_page(factory, store, actor, timed)
    return cases[:-1], cases[-1]


async def run(
    factory: async_sessionmaker[AsyncSession],
    persons: int,
    protocols: list[int],
    pages: int,
    say: Callable[[str], None],
) -> Measured:
    say(f"building {persons:,} people with interventions, consents and relations ...")
    started = time.perf_counter()
    built = await build(factory, persons, say)
    say(f"  built in {time.perf_counter() - started:.1f} s")
    store = PolicyStore(PROJECT_ROOT / "policies" / "model.conf")
    policies = []
    for lines in protocols:
        version = await set_protocol(factory, built["tenant_id"], lines)
        load = time.perf_counter()
        async with factory() as session:
            # A store per protocol, so that every protocol stays loaded for the whole run.
            one = PolicyStore(PROJECT_ROOT / "policies" / "model.conf")
            policies.append(await one.get(session, built["tenant_id"], SLUG, version))
        say(f"protocol of {lines:,} lines loaded into Casbin in {time.perf_counter() - load:.2f} s")
    results = []
    for label, actor in built["users"].items():
        await measure(factory, store, actor, policies, 5)  # warm caches and compile
        calls_before = store.enforce_calls
        under, off = await measure(factory, store, actor, policies, pages)
        enforce_rate = (store.enforce_calls - calls_before) / (pages * len(policies))
        off_ms = statistics.median(off.times) * 1000
        for lines, on in zip(protocols, under, strict=True):
            results.append(
                Result(
                    user=label,
                    protocol_lines=lines,
                    authorized_ms=statistics.median(on.times) * 1000,
                    unauthorized_ms=off_ms,
                    authorized_per_s=pages / sum(on.times),
                    unauthorized_per_s=pages / sum(off.times),
                    ratio=sum(off.times) / sum(on.times),
                    enforce_per_request=enforce_rate,
                    rows=on.rows,
                )
            )
    # Search and the HTML caseload at this size, under the smallest protocol.
    scaled_users = scaling.pick_users(built["users"])
    rounds = max(5, min(pages, 30))
    scaled = await scaling.measure(factory, store, policies[0], scaled_users, persons, rounds, say)
    return Measured(results, scaled)


class Measured(msgspec.Struct):
    sharing: list[Result]
    scaled: list[scaling.Scaled]


def report(backend: str, persons: int, measured: Measured, say: Callable[[str], None]) -> None:
    results = measured.sharing
    say("")
    say(f"{backend}: caseload page ({PAGE} people), {persons:,} people, median of each run")
    header = (
        f"{'user':32} {'protocol':>9} {'authz ms':>9} {'no-authz ms':>12} "
        f"{'authz /s':>9} {'no-authz /s':>12} {'ratio':>6} {'enforce/req':>12}"
    )
    say(header)
    for r in results:
        say(
            f"{r.user:32} {r.protocol_lines:>9,} {r.authorized_ms:>9.2f} "
            f"{r.unauthorized_ms:>12.2f} {r.authorized_per_s:>9.0f} "
            f"{r.unauthorized_per_s:>12.0f} {r.ratio:>6.2f} "
            f"{r.enforce_per_request:>12.1f}"
        )
    by_user: dict[str, dict[int, Result]] = {}
    for r in results:
        by_user.setdefault(r.user, {})[r.protocol_lines] = r
    sizes = sorted({r.protocol_lines for r in results})
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        for user, rows in by_user.items():
            growth = rows[large].authorized_ms / rows[small].authorized_ms
            say(f"  {user}: {large:,}-line / {small:,}-line latency = {growth:.2f}")
    scaling.report(measured.scaled, say)
