"""Bad input gets a 4xx naming the field, and nothing half-written stays behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.persons.models import Person

LM = "/api/v1/t/low-moss/persons"
GOOD = {"given_name": "Robin", "family_name": "Inputcase", "date_of_birth": "1985-02-03"}


async def person_count(world) -> int:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            return await session.scalar(select(func.count()).select_from(Person))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({**GOOD, "date_of_birth": 19850203}, 400, "date_of_birth"),
        ({**GOOD, "nickname": "Rob"}, 400, "nickname"),
        ({k: v for k, v in GOOD.items() if k != "family_name"}, 400, "family_name"),
        ({**GOOD, "location": "on_the_moon"}, 400, "location"),
        ({**GOOD, "given_name": ""}, 400, "given_name"),
        ({**GOOD, "date_of_birth": "1985-02-30"}, 400, "date_of_birth"),
        ({**GOOD, "nhs_number": "12345"}, 400, "nhs_number"),
        ({**GOOD, "nhs_number": "9434765911"}, 422, "nhs_number"),
        (
            {**GOOD, "reception_date": "2026-03-01", "liberation_date": "2026-02-01"},
            422,
            "liberation_date",
        ),
        ({**GOOD, "date_of_birth": "2999-01-01"}, 422, "date_of_birth"),
    ],
)
async def test_bad_person_bodies(world, body, status, names):
    response = await world.post("lm_worker", LM, body)
    assert response.status_code == status, response.text
    assert names in response.text
    assert "Traceback" not in response.text
    assert await person_count(world) == 0


async def test_malformed_json(world):
    response = await world.client.post(
        LM,
        content=b'{"given_name": "Robin",',
        headers={**world.auth("lm_worker"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert await person_count(world) == 0


async def test_oversized_body_is_refused(world):
    body = {**GOOD, "given_name": "x" * 2_000_000}
    response = await world.post("lm_worker", LM, body)
    assert response.status_code == 413
    assert await person_count(world) == 0


async def test_impossible_update_leaves_record_unchanged(world):
    created = (await world.post("lm_worker", LM, {**GOOD, "reception_date": "2026-03-01"})).json()
    bad = await world.patch(
        "lm_worker",
        f"{LM}/{created['id']}",
        {"family_name": "Changed", "liberation_date": "2026-01-01"},
    )
    assert bad.status_code == 422 and "liberation_date" in bad.text
    again = (await world.get("lm_worker", f"{LM}/{created['id']}")).json()
    assert again["family_name"] == "Inputcase" and again["liberation_date"] is None


async def test_duplicate_prison_number_conflicts(world):
    assert (await world.post("lm_worker", LM, {**GOOD, "prison_number": "X1"})).status_code == 201
    clash = await world.post("lm_worker", LM, {**GOOD, "prison_number": "x1"})
    assert clash.status_code == 409 and "prison_number" in clash.text
    assert await person_count(world) == 1


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 999}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"limit": "ten"}, "limit"),
    ],
)
async def test_bad_list_parameters(world, params, name):
    response = await world.get("lm_worker", LM, params=params)
    assert response.status_code == 400
    assert name in response.text


async def test_bad_path_id(world):
    assert (await world.get("lm_worker", f"{LM}/not-a-uuid")).status_code in (400, 404)


async def test_refused_update_leaves_record_unchanged_and_the_refusal_audited(world):
    created = (await world.post("lm_worker", LM, {**GOOD, "reception_date": "2026-03-01"})).json()
    # Sacro does not work with the person: a well-formed change is refused, not half-made.
    refused = await world.patch(
        "lm_sacro",
        f"{LM}/{created['id']}",
        {"family_name": "Changed", "liberation_date": "2026-09-01"},
    )
    assert refused.status_code == 403
    assert "their organisation works with" in refused.json()["detail"]
    again = (await world.get("lm_worker", f"{LM}/{created['id']}")).json()
    assert again["family_name"] == "Inputcase" and again["liberation_date"] is None

    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            events = (
                await session.scalars(select(AuditEvent).where(AuditEvent.action != "read"))
            ).all()
    finally:
        await engine.dispose()
    assert sorted((e.action, e.record_type) for e in events) == [
        ("create", "person"),
        # Registering a person links the registering organisation: a recorded decision.
        ("decide", "person_organisation"),
        ("deny", "identity"),
    ]
    (denial,) = [e for e in events if e.action == "deny"]
    assert denial.user_id == world.users["lm_sacro"].id
    assert str(denial.person_id) == created["id"]
