"""Casbin is the oracle. For random partnerships — organisations, members with roles,
people, who works with whom, consents in every state, and random protocol rows — what
the SQL filter lets each user list, and what a single-record decision allows, equal
exactly what Casbin's enforce() allows when asked row by row; nothing crosses a tenant;
the explanation agrees with the decision; a withdrawn consent stops counting at once."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from core.accounts.models import Membership, User
from core.authz.access import Access, explain
from core.authz.actor import Actor
from core.authz.enforcer import PolicyStore
from core.authz.models import PersonAssignment, PersonOrganisation
from core.authz.protocol import store_version
from core.consents.models import Consent
from core.db.engine import make_engine, make_session_factory
from core.persons.models import Person
from core.settings import PROJECT_ROOT, DatabaseSettings
from core.tenancy.models import Organisation, OrganisationKind, Tenant

ROLES = ["alpha", "beta", "gamma"]
KINDS = [k.value for k in OrganisationKind]
CATEGORIES = ["identity", "health", "case_notes"]
SCOPES = ["assigned", "own_organisation", "partnership"]
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)

subjects = st.one_of(
    st.sampled_from(ROLES).map(lambda r: f"r:{r}"), st.sampled_from(KINDS).map(lambda k: f"k:{k}")
)
rule = st.tuples(
    subjects,
    st.sampled_from(CATEGORIES),
    st.sampled_from(["read", "write"]),
    st.sampled_from(SCOPES),
    st.sampled_from(["consent", "no_consent"]),
)
consent_state = st.sampled_from(["active", "withdrawn", "expired", "future"])


@st.composite
def worlds(draw):
    n_orgs = draw(st.integers(1, 3))
    orgs = [draw(st.sampled_from(KINDS)) for _ in range(n_orgs)]
    users = [
        (draw(st.integers(0, n_orgs - 1)), draw(st.sets(st.sampled_from(ROLES), max_size=2)))
        for _ in range(draw(st.integers(1, 4)))
    ]
    n_persons = draw(st.integers(1, 5))
    pairs = st.tuples(st.integers(0, n_orgs - 1), st.integers(0, n_persons - 1))
    links = draw(st.sets(pairs, max_size=6))
    assigned = draw(
        st.sets(
            st.tuples(st.integers(0, len(users) - 1), st.integers(0, n_persons - 1)), max_size=4
        )
    )
    recipient = st.one_of(
        st.integers(0, n_orgs - 1).map(lambda i: ("org", i)),
        st.sampled_from(KINDS).map(lambda k: ("kind", k)),
    )
    consents = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_persons - 1), st.sampled_from(CATEGORIES), recipient, consent_state
            ),
            max_size=6,
        )
    )
    rules = draw(st.lists(rule, max_size=10))
    links_g = draw(st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(ROLES)), max_size=1))
    return SimpleNamespace(
        orgs=orgs,
        users=users,
        n_persons=n_persons,
        links=links,
        assigned=assigned,
        consents=consents,
        rules=rules,
        role_links=[(a, b) for a, b in links_g if a != b],
    )


@dataclass
class Built:
    tenant: Tenant
    orgs: list[Organisation]
    users: list[tuple[User, Organisation, list[str]]]
    persons: list[Person]


async def build(session, w, slug: str) -> Built:
    tenant = Tenant(slug=slug, name=slug, nation="scotland", config={"roles": ROLES})
    session.add(tenant)
    await session.flush()
    orgs = [
        Organisation(tenant_id=tenant.id, slug=f"o{i}", name=f"O{i}", kind=kind)
        for i, kind in enumerate(w.orgs)
    ]
    session.add_all(orgs)
    users = []
    for i, (org_index, roles) in enumerate(w.users):
        user = User(username=f"{slug}-u{i}", display_name="U", password_hash="x")
        session.add(user)
        await session.flush()
        session.add(
            Membership(
                tenant_id=tenant.id,
                user_id=user.id,
                organisation_id=orgs[org_index].id,
                roles=sorted(roles),
            )
        )
        users.append((user, orgs[org_index], sorted(roles)))
    persons = [
        Person(
            tenant_id=tenant.id,
            given_name="P",
            family_name=str(i),
            sort_name=f"p {i % 3:03d}",  # shared names: the page key's tie-break on id
            date_of_birth=date(1990, 1, 1),
        )
        for i in range(w.n_persons)
    ]
    session.add_all(persons)
    await session.flush()
    for org_index, person_index in w.links:
        session.add(
            PersonOrganisation(
                tenant_id=tenant.id,
                organisation_id=orgs[org_index].id,
                person_id=persons[person_index].id,
                reason="test",
            )
        )
    for user_index, person_index in w.assigned:
        session.add(
            PersonAssignment(
                tenant_id=tenant.id,
                user_id=users[user_index][0].id,
                person_id=persons[person_index].id,
                reason="test",
            )
        )
    for person_index, category, (kind, who), state in w.consents:
        session.add(
            Consent(
                tenant_id=tenant.id,
                person_id=persons[person_index].id,
                category=category,
                recipient_organisation_id=orgs[who].id if kind == "org" else None,
                recipient_kind=who if kind == "kind" else None,
                purpose="test",
                lawful_basis="consent",
                given_at=NOW + (timedelta(days=1) if state == "future" else -timedelta(days=9)),
                expires_at=NOW - timedelta(days=1) if state == "expired" else None,
                withdrawn_at=NOW - timedelta(hours=1) if state == "withdrawn" else None,
            )
        )
    lines = [f"p, {s}, {slug}, {c}, {a}, {sc}, {co}" for s, c, a, sc, co in w.rules]
    lines += [f"g, r:{a}, r:{b}, {slug}" for a, b in w.role_links]
    await store_version(session, tenant, "\n".join(lines), reason="test", user_id=None)
    await session.commit()
    return Built(tenant, orgs, users, persons)


def oracle_relation(w, b: Built, user_index: int, person_index: int) -> str:
    org_index = w.users[user_index][0]
    if (user_index, person_index) in w.assigned:
        return "assigned"
    if (org_index, person_index) in w.links:
        return "own_organisation"
    return "partnership"


def oracle_consent(w, user_index: int, person_index: int, category: str) -> bool:
    org_index = w.users[user_index][0]
    for p, c, (kind, who), state in w.consents:
        if (p, c, state) != (person_index, category, "active"):
            continue
        if (kind == "org" and who == org_index) or (kind == "kind" and who == w.orgs[org_index]):
            return True
    return False


def actor_for(b: Built, user_index: int, version: int) -> Actor:
    user, org, roles = b.users[user_index]
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name="U",
        tenant_id=b.tenant.id,
        tenant_slug=b.tenant.slug,
        nation="scotland",
        membership_id=uuid.uuid4(),
        organisation_id=org.id,
        organisation_kind=org.kind,
        roles=tuple(roles),
        enabled_plugins=(),
        policy_version=version,
    )


async def caseload(session, access: Access, category: str) -> set[uuid.UUID]:
    """The caseload read from the viewer's own ranges, two at a time: each person once."""
    first = access.caseload(category, None, 2)
    if first is None:  # partnership-wide: the persons table, filtered as above
        return set(
            (await session.scalars(select(Person.id).where(access.person_filter(category)))).all()
        )
    page, keys = first, []
    while True:
        rows = (await session.execute(select(page.rows), page.params)).all()
        keys += [(r.sort_name, uuid.UUID(str(r.person_id))) for r in rows]
        if len(rows) < 2:
            break
        page = access.caseload(category, keys[-1], 2)
    assert keys == sorted(keys), "pages out of name order"
    seen = [pid for _, pid in keys]
    assert len(seen) == len(set(seen)), "a person on two pages"
    return set(seen)


async def check(db_url: str, w) -> None:
    engine = make_engine(DatabaseSettings(url=db_url))
    store = PolicyStore(PROJECT_ROOT / "policies" / "model.conf")
    try:
        async with make_session_factory(engine)() as session:
            slug = f"t-{uuid.uuid4().hex[:10]}"
            b = await build(session, w, slug)
            other = await build(session, w, f"t-{uuid.uuid4().hex[:10]}")
            other_ids = {p.id for p in other.persons}
            policy = await store.get(session, b.tenant.id, slug, 1)
            for ui in range(len(w.users)):
                access = Access(session, actor_for(b, ui, 1), store, policy, CATEGORIES, NOW)
                for category in CATEGORIES:
                    for action in ("read", "write"):
                        listed = set(
                            (
                                await session.scalars(
                                    select(Person.id).where(access.person_filter(category, action))
                                )
                            ).all()
                        )
                        assert not listed & other_ids, "a row crossed tenants"
                        expected = set()
                        for pi, person in enumerate(b.persons):
                            scope = oracle_relation(w, b, ui, pi)
                            given = oracle_consent(w, ui, pi, category)
                            allowed, _ = policy.enforce(
                                access.actor.user_id,
                                access.subjects,
                                category,
                                action,
                                scope,
                                given,
                            )
                            if allowed:
                                expected.add(person.id)
                            decision = await access.decide(category, action, person.id)
                            assert decision.allowed is allowed, decision.reason
                            assert (decision.scope, decision.consent_given) == (scope, given)
                        assert listed == expected, (category, action)
                        if action == "read":
                            assert await caseload(session, access, category) == expected

            # Withdraw every consent: the very next decision, with a new request's Access,
            # must no longer count any of them.
            await session.execute(
                update(Consent)
                .where(Consent.tenant_id == b.tenant.id)
                .values(withdrawn_at=NOW - timedelta(minutes=1))
            )
            await session.commit()
            for ui in range(len(w.users)):
                access = Access(session, actor_for(b, ui, 1), store, policy, CATEGORIES, NOW)
                for category in CATEGORIES:
                    listed = set(
                        (
                            await session.scalars(
                                select(Person.id).where(access.person_filter(category))
                            )
                        ).all()
                    )
                    expected = {
                        person.id
                        for pi, person in enumerate(b.persons)
                        if policy.enforce(
                            access.actor.user_id,
                            access.subjects,
                            category,
                            "read",
                            oracle_relation(w, b, ui, pi),
                            False,
                        )[0]
                    }
                    assert listed == expected
                    for person in b.persons:
                        decision = await access.decide(category, "read", person.id)
                        reason = explain(
                            access.grants.get(category, "read"),
                            category,
                            "read",
                            await access.relation(person.id),
                        )
                        assert decision == reason
    finally:
        await engine.dispose()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(w=worlds())
def test_sql_filter_and_decisions_equal_casbin(db_url, w):
    asyncio.run(check(db_url, w))
