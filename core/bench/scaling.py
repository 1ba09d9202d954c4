"""Search and the HTML caseload at scale: before and after, measured in one run.

Part of ``throughcare bench sharing`` (issue 14). On the partnership ``sharing.build``
made, each case runs as one request would (a fresh session, the request's Access):

- a name or prison-number search as the API's list runs it, "before" with the substring
  LIKE scan the search used to be (on PostgreSQL over ``column || ''``, which no index
  holds), "after" with the index (FTS5 / pg_trgm);
- the HTML caseload page, "before" as it used to be (count every visible person, OFFSET
  to the page, its categories in a second statement, the audit row), "after" as it is
  (keyset page, count bounded at 1,000), on its first page and on its 41st.

Cases run interleaved round by round, so the machine's other work falls on all alike.
Every number printed is measured in this run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from sqlalchemy import String, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.enforcer import PolicyStore, TenantPolicy
from core.authz.fields import PERSON_VIEW_CATEGORIES
from core.pagination import keyset
from core.persons.caseload_page import (
    PAGE_SIZE,
    CaseloadFilters,
    caseload,
    filtered,
)
from core.persons.models import Person
from core.persons.reads import PERSON_COLUMNS
from core.persons.search import (
    SearchTerms,
    given_family,
    like_escape,
    like_predicate,
    person_search,
)
from core.vocabulary import CORE_CATEGORIES

DEEP_PAGE = 41


class Scaled(msgspec.Struct):
    user: str
    case: str
    before_ms: float
    after_ms: float
    before_rows: int
    after_rows: int


def searches(persons: int) -> dict[str, str]:
    """Queries for people ``sharing.build`` made (person i is "Given{i}", "B{i:07d}")."""
    i = persons // 2
    return {
        "search: given name": f"Given{i}",
        "search: prison number prefix": f"B{i:07d}"[:-2],
        "search: part of a name": f"ven{i}",
    }


async def api_search(session: AsyncSession, access: Access, q: str, indexed: bool) -> int:
    """The API list's search branch (``caseload_query``), with either predicate.

    "Before" is the substring scan as it was. On PostgreSQL the trigram indexes now exist
    and would serve even the plain LIKE, so there it compares ``column || ''`` (which no
    index holds): the same matches, read the old way, in a statement of its own text (a
    session setting would leak into the prepared statement the "after" case shares).
    """
    if indexed:
        match = person_search(q)
    elif session.bind.dialect.name == "postgresql":
        match = unindexed_like(SearchTerms(q))
    else:
        match = like_predicate(SearchTerms(q))
    stmt = select(*PERSON_COLUMNS).where(
        Person.tenant_id == access.actor.tenant_id, access.person_filter("identity"), match
    )
    stmt = keyset(stmt, [Person.sort_name, Person.id], None, 50)
    return len((await session.execute(stmt)).all())


def unindexed_like(terms: SearchTerms) -> Any:
    """The substring predicate over expressions no index was built on."""
    empty = literal_column("''", String)
    patterns = [f"%{like_escape(term)}%" for term in terms.names]
    sort_name = Person.sort_name.concat(empty)
    lowered = func.lower(given_family()).concat(empty)
    return or_(
        *(sort_name.like(p, escape="\\") for p in patterns),
        *(lowered.like(p, escape="\\") for p in patterns),
        Person.prison_number.concat(empty).like(
            f"{like_escape(terms.prison_number)}%", escape="\\"
        ),
    )


async def old_page(session: AsyncSession, access: Access, page: int) -> int:
    """The HTML caseload as it was: every visible person counted, then OFFSET, then the
    page's categories in a statement of their own, and the same audit row."""
    from core import clock

    stmt = filtered(access, CaseloadFilters(people="all"), clock.today())
    await session.scalar(select(func.count()).select_from(stmt.subquery()))
    ordered = stmt.order_by(Person.sort_name, Person.id)
    found = (await session.execute(ordered.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))).all()
    await access.readable_for([r.id for r in found], PERSON_VIEW_CATEGORIES)
    record(session, access.actor, "list", "person", detail={"via": "page", "bench": "before"})
    await session.commit()
    return len(found)


async def new_page(session: AsyncSession, access: Access, cursor: str) -> int:
    """The HTML caseload as it is (``caseload_page.caseload``), audit row and all."""
    result = await caseload(session, access, CaseloadFilters(people="all", after=cursor))
    return len(result.rows)


async def deep_cursor(
    factory: async_sessionmaker[AsyncSession], access_for: Callable[[AsyncSession], Access]
) -> str:
    """The keyset cursor of page DEEP_PAGE, walked to as a worker clicking Next would."""
    cursor = ""
    for _ in range(DEEP_PAGE - 1):
        async with factory() as session:
            result = await caseload(
                session, access_for(session), CaseloadFilters(people="all", after=cursor)
            )
        if not result.next_cursor:
            break
        cursor = result.next_cursor
    return cursor


async def measure(
    factory: async_sessionmaker[AsyncSession],
    store: PolicyStore,
    policy: TenantPolicy,
    users: dict[str, Actor],
    persons: int,
    rounds: int,
    say: Callable[[str], None],
) -> list[Scaled]:
    results = []
    for label, actor in users.items():

        def access_for(session: AsyncSession, actor: Actor = actor) -> Access:
            return Access(session, actor, store, policy, list(CORE_CATEGORIES))

        deep = await deep_cursor(factory, access_for)
        cases: dict[str, tuple[Callable[..., Awaitable[int]], Callable[..., Awaitable[int]]]] = {
            name: (
                lambda s, a, q=q: api_search(s, a, q, indexed=False),
                lambda s, a, q=q: api_search(s, a, q, indexed=True),
            )
            for name, q in searches(persons).items()
        }
        cases["HTML caseload, page 1"] = (
            lambda s, a: old_page(s, a, 1),
            lambda s, a: new_page(s, a, ""),
        )
        cases[f"HTML caseload, page {DEEP_PAGE}"] = (
            lambda s, a: old_page(s, a, DEEP_PAGE),
            lambda s, a, deep=deep: new_page(s, a, deep),
        )
        times: dict[tuple[str, int], list[float]] = {}
        rows: dict[tuple[str, int], int] = {}
        for turn in range(rounds + 2):  # the first two rounds warm caches and compile
            order = [(name, side) for name in cases for side in (0, 1)]
            shift = turn % len(order)
            for name, side in order[shift:] + order[:shift]:
                started = time.perf_counter()
                async with factory() as session:
                    rows[(name, side)] = await cases[name][side](session, access_for(session))
                if turn >= 2:
                    times.setdefault((name, side), []).append(time.perf_counter() - started)
        for name in cases:
            results.append(
                Scaled(
                    user=label,
                    case=name,
                    before_ms=statistics.median(times[(name, 0)]) * 1000,
                    after_ms=statistics.median(times[(name, 1)]) * 1000,
                    before_rows=rows[(name, 0)],
                    after_rows=rows[(name, 1)],
                )
            )
        say(f"  measured search and the HTML caseload as {label}")
    return results


def report(results: list[Scaled], say: Callable[[str], None]) -> None:
    if not results:
        return
    say("")
    say("search and the HTML caseload: p50 before (LIKE scan; count + OFFSET) and after")
    say(f"{'user':32} {'case':34} {'before ms':>10} {'after ms':>9} {'speed-up':>9} {'rows':>9}")
    for r in results:
        say(
            f"{r.user:32} {r.case:34} {r.before_ms:>10.2f} {r.after_ms:>9.2f} "
            f"{r.before_ms / r.after_ms:>8.1f}x {r.before_rows:>4}/{r.after_rows:<4}"
        )


def pick_users(users: dict[str, Actor]) -> dict[str, Actor]:
    """The nurse and the key worker: the widest and the slowest caseloads."""
    return {k: v for k, v in users.items() if k.startswith(("nurse", "key worker"))}
