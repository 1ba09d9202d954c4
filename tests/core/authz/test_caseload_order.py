"""A scoped caseload is read from the viewer's own index ranges (people their organisation
works with, people assigned to them, consents to them), each ordered by a copy of the
person's name. The copies follow every rename, and pages merged from several ranges hold
every person the protocol lets the viewer see exactly once, in name order."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from core.accounts.models import User
from core.authz.access import make_access
from core.authz.actor import CurrentUser, resolve_actor
from core.authz.models import BreakGlassGrant, PersonAssignment, PersonOrganisation
from core.consents.models import Consent
from core.db.base import utcnow
from core.db.engine import make_engine, make_session_factory

LM = "/api/v1/t/low-moss"
# Identity for case workers only where their organisation works with the person (or they
# are assigned), and for prison staff only with consent: both are read from ranges.
SCOPED = {
    "p, r:case_worker, low-moss, identity, read, partnership, no_consent": (
        "p, r:case_worker, low-moss, identity, read, own_organisation, no_consent"
    ),
    "p, k:prison, low-moss, identity, read, partnership, no_consent": (
        "p, k:prison, low-moss, identity, read, partnership, consent"
    ),
}


async def publish_scoped(world) -> None:
    rules = (await world.get("lm_lead", f"{LM}/protocol")).json()["rules"]
    for old, new in SCOPED.items():
        assert old in rules
        rules = rules.replace(old, new)
    published = await world.post(
        "lm_lead", f"{LM}/protocol", {"rules": rules, "reason": "Scoped caseloads"}
    )
    assert published.status_code == 201, published.text


async def add_person(world, family: str, given: str = "Test", username: str = "lm_worker"):
    body = {"given_name": given, "family_name": family, "date_of_birth": "1990-01-02"}
    response = await world.post(username, f"{LM}/persons", body)
    assert response.status_code == 201, response.text
    return response.json()


async def every_page(world, username: str, limit: int) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await world.get(username, f"{LM}/persons", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def names(items: list[dict]) -> list[str]:
    return [f"{p['family_name']} {p['given_name']}" for p in items]


async def test_relation_rows_copy_the_persons_name_and_follow_a_rename(world):
    person = await add_person(world, "Adair")
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            tenant_id = world.tenants["low-moss"].id
            pid = uuid.UUID(person["id"])
            session.add_all(
                [
                    PersonAssignment(
                        tenant_id=tenant_id,
                        user_id=world.users["lm_sacro"].id,
                        person_id=pid,
                        reason="test",
                    ),
                    Consent(
                        tenant_id=tenant_id,
                        person_id=pid,
                        category="identity",
                        recipient_kind="prison",
                        purpose="test",
                        lawful_basis="consent",
                        given_at=utcnow(),
                    ),
                ]
            )
            await session.commit()

            async def copies() -> set[str]:
                found = set()
                for table in (PersonOrganisation, PersonAssignment, Consent):
                    rows = await session.scalars(
                        select(table.sort_name).where(
                            table.tenant_id == tenant_id, table.person_id == pid
                        )
                    )
                    found |= set(rows.all())
                return found

            assert await copies() == {"adair test"}
            renamed = await world.patch(
                "lm_worker", f"{LM}/persons/{person['id']}", {"family_name": "Zetland"}
            )
            assert renamed.status_code == 200, renamed.text
            session.expire_all()
            assert await copies() == {"zetland test"}
    finally:
        await engine.dispose()


async def test_scoped_caseload_pages_hold_everyone_visible_once_in_name_order(world):
    await publish_scoped(world)
    # Turning Point registers five people, Sacro two; one name is shared, so the cursor's
    # tie-break on id is exercised too.
    mine = [await add_person(world, f"Tp{i % 4}", given="Same") for i in range(5)]
    theirs = [await add_person(world, f"Sacro{i}", username="lm_sacro") for i in range(2)]
    # A Sacro person assigned to the Turning Point worker: reached through the assignment.
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            session.add(
                PersonAssignment(
                    tenant_id=world.tenants["low-moss"].id,
                    user_id=world.users["lm_worker"].id,
                    person_id=uuid.UUID(theirs[0]["id"]),
                    reason="allocated",
                )
            )
            await session.commit()
    finally:
        await engine.dispose()

    expected = {p["id"] for p in mine} | {theirs[0]["id"]}
    for limit in (1, 2, 3, 50):
        items = await every_page(world, "lm_worker", limit)
        ids = [p["id"] for p in items]
        assert len(ids) == len(set(ids)), "a person appeared on two pages"
        assert set(ids) == expected, limit
        assert names(items) == sorted(names(items))
    sacro = {p["id"] for p in await every_page(world, "lm_sacro", 2)}
    assert sacro == {p["id"] for p in theirs}

    # The officer sees people by consent: none yet, then exactly those who consented.
    assert await every_page(world, "lm_officer", 2) == []
    # Each recorded by the organisation that works with the person; the first person's
    # twice (renewed), which must not cost anyone else their place on a page.
    consents = [("lm_worker", mine[0]), ("lm_worker", mine[0]), ("lm_worker", mine[3])]
    for who, person in [*consents, ("lm_sacro", theirs[1])]:
        given = await world.post(
            who,
            f"{LM}/persons/{person['id']}/consents",
            {
                "category": "identity",
                "recipient_kind": "prison",
                "purpose": "Liberation planning",
                "lawful_basis": "consent",
            },
        )
        assert given.status_code == 201, given.text
    consented = await every_page(world, "lm_officer", 2)
    assert {p["id"] for p in consented} == {mine[0]["id"], mine[3]["id"], theirs[1]["id"]}
    assert names(consented) == sorted(names(consented))

    # A search takes the WHERE-clause path: the same people, filtered by name.
    found = await world.get("lm_worker", f"{LM}/persons", params={"q": "tp1"})
    assert {p["id"] for p in found.json()["items"]} == {mine[1]["id"]}


async def test_a_break_glass_grant_in_force_puts_the_person_on_that_categorys_list(world):
    person = await add_person(world, "Glass", username="lm_sacro")
    pid = uuid.UUID(person["id"])
    engine = make_engine(world.settings.db)
    try:
        factory = make_session_factory(engine)

        async def health_caseload() -> tuple[bool, set[uuid.UUID]]:
            async with factory() as session:
                user = await session.get(User, world.users["lm_worker"].id)
                assert user is not None
                current = CurrentUser(user.id, user.username, user.display_name, False)
                actor = await resolve_actor(session, current, "low-moss")
                assert actor is not None
                state = world.client.app.state
                access = await make_access(session, actor, state)
                page = access.caseload("health", None, 50)
                assert page is not None  # case workers read health only where assigned
                rows = await session.execute(select(page.rows.c.person_id), page.params)
                return actor.break_glass, {uuid.UUID(str(r[0])) for r in rows}

        assert await health_caseload() == (False, set())
        async with factory() as session:
            session.add(
                BreakGlassGrant(
                    tenant_id=world.tenants["low-moss"].id,
                    user_id=world.users["lm_worker"].id,
                    person_id=pid,
                    category="health",
                    reason="Found unresponsive",
                    expires_at=utcnow() + timedelta(hours=3),
                )
            )
            await session.commit()
        assert await health_caseload() == (True, {pid})
        async with factory() as session:
            grant = (await session.scalars(select(BreakGlassGrant))).one()
            grant.ended_at = utcnow()
            await session.commit()
        assert await health_caseload() == (False, set())
    finally:
        await engine.dispose()
