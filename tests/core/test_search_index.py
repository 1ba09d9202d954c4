"""Name and prison-number search served by an index (migration 0011, core.persons.search):
every form a worker types finds the person, exactly as the substring scan did; the index
follows inserts, renames and deletes; and a person the viewer may not see never matches."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, text

from core.authz.models import PersonAssignment, PersonOrganisation
from core.persons.models import Person
from core.persons.search import SearchTerms, like_predicate, person_search
from tests.core.authz.test_insider import add_member, db

LM = "/api/v1/t/low-moss/persons"
PAGES = "/t/low-moss"

PEOPLE = [
    ("Morag", "McAllister", "LM5001"),
    ("Morgan", "Allister", "LM5002"),
    ("Jo", "Smith", "LM5103"),
    ("Joanne", "Smith-Jones", "LM5104"),
    ("Alasdair", "O'Neil", None),
]
# (what is typed, family names it must find among PEOPLE)
QUERIES = [
    ("McAllister, Morag", {"McAllister"}),
    ("mcallister,morag", {"McAllister"}),
    ("Morag McAllister", {"McAllister"}),
    ("  morag   mcallister ", {"McAllister"}),
    ("allister", {"McAllister", "Allister"}),
    ("Smith", {"Smith", "Smith-Jones"}),
    ("smith-jo", {"Smith-Jones"}),
    ("jo smith", {"Smith"}),
    ("o'neil", {"O'Neil"}),
    ("LM51", {"Smith", "Smith-Jones"}),
    ("lm5001", {"McAllister"}),
    ("5001", set()),  # a prison number matches from its start only
    ("al", {"McAllister", "Allister", "O'Neil"}),  # shorter than a trigram: still found
    ("%", set()),
    ("zz_nobody", set()),
]


async def register(world: Any) -> dict[str, str]:
    ids = {}
    for given, family, number in PEOPLE:
        body = {"given_name": given, "family_name": family, "date_of_birth": "1980-01-01"}
        if number:
            body["prison_number"] = number
        response = await world.post("lm_worker", LM, body)
        assert response.status_code == 201, response.text
        ids[family] = response.json()["id"]
    return ids


async def found(world: Any, user: str, q: str) -> set[str]:
    response = await world.get(user, LM, params={"q": q, "limit": 200})
    assert response.status_code == 200, response.text
    return {p["family_name"] for p in response.json()["items"]}


async def test_every_form_finds_the_person_through_the_api_and_the_page(world: Any) -> None:
    await register(world)
    for q, expected in QUERIES:
        assert await found(world, "lm_worker", q) == expected, q
    from tests.core.test_web import sign_in

    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload", params={"people": "all", "q": "Smith"})
    assert "Smith, Jo" in page.text and "Smith-Jones, Joanne" in page.text
    assert "McAllister, Morag" not in page.text


async def test_the_index_finds_exactly_what_the_substring_scan_found(world: Any) -> None:
    await register(world)
    async with db(world) as session:
        for q, _ in QUERIES:
            terms = SearchTerms(q)
            by_scan = set(await session.scalars(select(Person.id).where(like_predicate(terms))))
            by_index = set(await session.scalars(select(Person.id).where(person_search(q))))
            assert by_index == by_scan, q


async def test_the_search_is_read_from_the_index(world: Any) -> None:
    await register(world)
    async with db(world) as session:
        connection = await session.connection()
        stmt = select(Person.id).where(person_search("McAllister"))
        sql = str(stmt.compile(connection.sync_connection, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "postgresql":
            # Too few rows for the planner to choose an index on its own: ask whether it can.
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in await connection.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "_trgm" in plan, plan
        else:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(r[3]) for r in rows)
            assert "person_search VIRTUAL TABLE" in plan, plan


async def test_the_index_follows_renames_and_deletes(world: Any) -> None:
    ids = await register(world)
    person = ids["Allister"]
    renamed = await world.patch(
        "lm_worker", f"{LM}/{person}", {"family_name": "Buchanan", "prison_number": "LM7001"}
    )
    assert renamed.status_code == 200, renamed.text
    assert await found(world, "lm_worker", "allister") == {"McAllister"}
    assert await found(world, "lm_worker", "Morgan Buchanan") == {"Buchanan"}
    assert await found(world, "lm_worker", "LM70") == {"Buchanan"}
    assert await found(world, "lm_worker", "LM5002") == set()
    async with db(world) as session:
        pid = uuid.UUID(person)
        await session.execute(delete(PersonOrganisation).where(PersonOrganisation.person_id == pid))
        await session.execute(delete(Person).where(Person.id == pid))
        await session.commit()
        if session.bind.dialect.name == "sqlite":
            left = await session.scalar(
                text("SELECT count(*) FROM person_search WHERE name GLOB '*buchanan*'")
            )
            assert left == 0
    assert await found(world, "lm_worker", "buchanan") == set()


async def test_a_person_the_viewer_may_not_see_never_matches(world: Any) -> None:
    ids = await register(world)
    # A peer mentor reads the identity only of the people assigned to them.
    await add_member(world, "lm_mentor_h5", "low-moss", "sacro", ["peer_mentor"])
    async with db(world) as session:
        tenant = world.tenants["low-moss"].id
        session.add(
            PersonAssignment(
                tenant_id=tenant,
                user_id=world.users["lm_mentor_h5"].id,
                person_id=uuid.UUID(ids["Smith"]),
                reason="mentoring",
            )
        )
        await session.commit()
    assert await found(world, "lm_mentor_h5", "smith") == {"Smith"}
    assert await found(world, "lm_mentor_h5", "allister") == set()
    assert await found(world, "lm_mentor_h5", "LM5") == {"Smith"}
    # Nor across partnerships.
    leicester = await world.get("lc_worker", "/api/v1/t/leicester/persons", params={"q": "smith"})
    assert leicester.status_code == 200 and leicester.json()["items"] == []


async def test_on_the_demo_the_index_finds_what_the_scan_found(settings: Any) -> None:
    """Every demo person's name in each form, a part of it and a prison-number prefix."""
    from core.db.engine import make_engine, make_session_factory
    from core.tenancy.spec import load_specs
    from tests.core.test_demo import SMALL, load, sized

    engine = make_engine(settings.db)
    try:
        factory = make_session_factory(engine)
        specs = [s for s in sized(load_specs(settings.paths.tenants_dir), SMALL)]
        await load(factory, [s for s in specs if s.slug == "low-moss"])
        async with factory() as session:
            people = (
                await session.execute(
                    select(Person.given_name, Person.family_name, Person.prison_number)
                )
            ).all()
            assert len(people) >= 50
            queries = set()
            for given, family, number in people:
                queries |= {f"{family}, {given}", f"{given} {family}", family[1:5], given[:3]}
                if number:
                    queries |= {number[:3], number.lower()}
            for q in sorted(queries):
                terms = SearchTerms(q)
                by_scan = set(await session.scalars(select(Person.id).where(like_predicate(terms))))
                by_index = set(await session.scalars(select(Person.id).where(person_search(q))))
                assert by_index == by_scan, q
                assert by_scan, q
    finally:
        await engine.dispose()
