"""The caseload and the person record over the public API."""

from __future__ import annotations

from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory

LM = "/api/v1/t/low-moss/persons"

ALEX = {
    "given_name": "Alex",
    "family_name": "Testperson",
    "date_of_birth": "1990-05-01",
    "prison_number": "lm1001",
    "nhs_number": "9434765919",
    "reception_date": "2026-01-10",
    "liberation_date": "2026-12-20",
}


async def audit_rows(world, **where):
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            stmt = select(AuditEvent)
            for key, value in where.items():
                stmt = stmt.where(getattr(AuditEvent, key) == value)
            return list((await session.scalars(stmt)).all())
    finally:
        await engine.dispose()


async def test_create_read_update_person(world):
    created = await world.post("lm_worker", LM, ALEX)
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["prison_number"] == "LM1001"

    read = await world.get("lm_worker", f"{LM}/{person['id']}")
    assert read.status_code == 200
    assert read.json()["family_name"] == "Testperson"

    changed = await world.patch(
        "lm_worker", f"{LM}/{person['id']}", {"liberation_date": "2027-01-05"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["liberation_date"] == "2027-01-05"
    assert changed.json()["given_name"] == "Alex"

    actions = sorted(e.action for e in await audit_rows(world, record_type="person"))
    assert actions == ["create", "read", "update"]


async def test_list_search_and_keyset_pages(world):
    for i in range(7):
        body = dict(ALEX, family_name=f"Surname{i}", prison_number=f"LM20{i}", nhs_number=None)
        assert (await world.post("lm_worker", LM, body)).status_code == 201

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await world.get("lm_worker", LM, params=params)).json()
        seen += [p["family_name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Surname{i}" for i in range(7)]

    by_name = (await world.get("lm_worker", LM, params={"q": "surname3"})).json()["items"]
    assert [p["family_name"] for p in by_name] == ["Surname3"]
    by_number = (await world.get("lm_worker", LM, params={"q": "lm205"})).json()["items"]
    assert [p["prison_number"] for p in by_number] == ["LM205"]
    assert (await world.get("lm_worker", LM, params={"q": "%"})).json()["items"] == []


async def test_other_tenant_gets_404_by_id_and_by_list(world):
    person = (await world.post("lm_worker", LM, ALEX)).json()
    assert (await world.get("lc_worker", f"{LM}/{person['id']}")).status_code == 404
    assert (await world.get("lc_worker", LM)).status_code == 404
    # Leicester's own caseload does not contain Low Moss's person either.
    own = await world.get("lc_worker", "/api/v1/t/leicester/persons")
    assert own.status_code == 200 and own.json()["items"] == []
    # The same id under the member's own tenant is also "not found".
    assert (
        await world.get("lc_worker", f"/api/v1/t/leicester/persons/{person['id']}")
    ).status_code == 404
    # The platform admin is not a member of any partnership's case data.
    assert (await world.get("admin", f"{LM}/{person['id']}")).status_code == 404


async def test_unauthenticated_is_401(world):
    assert (await world.client.get(LM)).status_code == 401
    bad = await world.client.get(LM, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
