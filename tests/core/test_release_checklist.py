"""A person's release checklist: core's lines and the plugins', each shown only to
viewers who may read its category; the rest named as withheld; a failing source never
takes the checklist down."""

from __future__ import annotations

from sqlalchemy import select

import plugins.housing
from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.hooktypes import ChecklistSource

LM = "/api/v1/t/low-moss"


async def new_person(world, **extra):
    body = {
        "given_name": "Gate",
        "family_name": "Checklist",
        "date_of_birth": "1985-05-05",
        "liberation_date": "2027-02-01",
        "reception_date": "2026-01-10",
    }
    response = await world.post("lm_worker", f"{LM}/persons", body | extra)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_each_line_is_shown_only_to_those_who_may_read_its_category(world):
    person = await new_person(world)
    url = f"{LM}/persons/{person}/release-checklist"

    worker = (await world.get("lm_worker", url)).json()
    lines = {item["key"]: item for item in worker["items"]}
    assert lines["liberation_date"]["done"] is True
    assert lines["plan_handover"]["done"] is False
    assert lines["plan_handover"]["detail"] == "No recovery plan yet"
    assert lines["housing"] == {
        "key": "housing",
        "label": "Accommodation secured for liberation",
        "done": False,
        "category": "housing",
        "detail": "No housing record",
        "due": "2027-02-01",
    }
    assert "met_at_the_gate" in lines
    # Health needs the key worker with consent, family needs consent: not shared yet.
    assert worker["withheld"] == ["family", "health"]
    assert "naloxone" not in lines and "family_day" not in lines
    assert worker["done"] == 1 and worker["liberation_date"] == "2027-02-01"

    nurse = (await world.get("lm_nurse", url)).json()
    assert {item["key"] for item in nurse["items"]} == {
        "liberation_date",
        "plan_handover",
        "naloxone",
    }
    assert "housing" in nurse["withheld"] and "peer_support" in nurse["withheld"]

    assert (await world.get("lm_analyst", url)).status_code == 404
    assert (await world.get("lc_worker", url)).status_code == 404

    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            reads = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.record_type == "release_checklist")
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(reads) == 2
    assert "housing" in reads[0].detail["categories"]


async def test_a_failing_source_is_named_unavailable_and_the_rest_still_answers(world, monkeypatch):
    async def broken(session, person):
        raise RuntimeError("the housing system is down")

    monkeypatch.setattr(
        plugins.housing,
        "CHECKLIST",
        ChecklistSource(name="housing", category="housing", answer=broken),
    )
    person = await new_person(world)
    response = await world.get("lm_worker", f"{LM}/persons/{person}/release-checklist")
    assert response.status_code == 200
    body = response.json()
    assert body["unavailable"] == ["housing"]
    assert "liberation_date" in {item["key"] for item in body["items"]}
