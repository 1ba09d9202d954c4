"""Statements per request on the hot paths (issue 14): the caseload list (API and page)
and the person record read their case data in one statement each, however many people
the page holds, and still write the same one audit row."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from core.audit.models import AuditEvent
from tests.core.authz.test_insider import counting_statements, db, make_person
from tests.core.test_web import PAGES, sign_in

LM = "/api/v1/t/low-moss/persons"
# Who is asking (sign-in, session, membership) and the audit chain are not case reads:
# other parts of the stack own them.
NOT_CASE_DATA = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE)\b.*?\b(FROM|INTO|UPDATE)\s+"
    r"(users|tenants|memberships|api_tokens|web_sessions|audit_events|audit_chain_heads)\b",
    re.S | re.I,
)


def case_reads(seen: list[str]) -> list[str]:
    return [
        s for s in seen if not NOT_CASE_DATA.match(s) and not s.lstrip().startswith("UPDATE audit")
    ]


async def measure(world: Any, user: str, url: str, **params: Any) -> list[str]:
    await world.get(user, url, params=params)  # warm the caches (actor, enforcer)
    with counting_statements() as seen:
        response = await world.get(user, url, params=params)
    assert response.status_code == 200, response.text
    return case_reads(seen)


async def audit_count(world: Any) -> int:
    async with db(world) as session:
        return len((await session.scalars(select(AuditEvent.id))).all())


async def test_the_list_and_the_record_read_one_statement_each(world: Any) -> None:
    people = [await make_person(world) for _ in range(3)]
    counts: dict[str, list[int]] = {}
    for round_ in range(2):
        if round_:  # more people on the page: the same statements
            people += [await make_person(world) for _ in range(12)]
        for user in ("lm_worker", "lm_nurse", "lm_officer"):
            listed = await measure(world, user, LM, limit=50)
            record = await measure(world, user, f"{LM}/{people[0]}")
            counts.setdefault(f"list {user}", []).append(len(listed))
            counts.setdefault(f"record {user}", []).append(len(record))
            assert len(listed) == 1, listed
            assert len(record) == 1, record
    assert all(a == b for a, b in counts.values()), counts


async def test_each_read_still_writes_one_audit_row(world: Any) -> None:
    person = await make_person(world)
    before = await audit_count(world)
    await world.get("lm_nurse", LM, params={"limit": 50})
    await world.get("lm_nurse", f"{LM}/{person}")
    assert await audit_count(world) == before + 2
    async with db(world) as session:
        rows = (
            await session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(2))
        ).all()
    read, listed = rows
    assert (listed.action, read.action) == ("list", "read")
    assert read.person_id is not None and str(read.person_id) == person
    assert read.detail["categories"] and read.rule


async def test_the_caseload_page_reads_its_page_in_one_statement(world: Any) -> None:
    for _ in range(4):
        await make_person(world)
    await sign_in(world, "lm_worker")
    url, params = f"{PAGES}/caseload", {"people": "all"}
    htmx = {"HX-Request": "true"}
    await world.client.get(url, params=params, headers=htmx)
    with counting_statements() as seen:
        response = await world.client.get(url, params=params, headers=htmx)
    assert response.status_code == 200
    reads = case_reads(seen)
    # The page with its categories; no count when the whole list is on it.
    assert len(reads) == 1, reads
