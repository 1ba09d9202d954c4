"""The monthly national returns: DAISy for a Scottish partnership, NDTMS for an English
one; pseudonymous, one row per treatment open in the month, made by the lead only,
audited, and filled only with what the lead may read."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from core.accounts.models import Membership, User
from core.accounts.services import issue_token
from core.audit.models import AuditEvent
from tests.core.test_outcomes import LC, LM, db_run
from tests.core.test_treatment import person_in_treatment, today

R = f"{LM}/returns"


def month() -> str:
    return today()[:7]


async def in_treatment(world: Any) -> str:
    person_id, _ = await person_in_treatment(world)
    started = await world.post(
        "lm_worker",
        f"{LM}/treatment/modalities",
        {"person_id": person_id, "modality": "pharmacological_maintenance", "started_on": today()},
    )
    assert started.status_code == 201, started.text
    goal = await world.post(
        "lm_worker",
        f"{LM}/treatment/goals",
        {"person_id": person_id, "goal": "stabilisation", "set_on": today()},
    )
    assert goal.status_code == 201, goal.text
    details = await world.patch(
        "lm_nurse",
        f"{LM}/persons/{person_id}/return-details",
        {"sex": "male", "problem_substance_1": "heroin", "injecting": "never"},
    )
    assert details.status_code == 200, details.text
    return person_id


async def test_the_daisy_extract_is_pseudonymous_and_measures_the_wait(world: Any) -> None:
    person_id = await in_treatment(world)
    response = await world.get("lm_lead", f"{R}/daisy/extract.csv", params={"month": month()})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    # No name, no person id: a stable pseudonymous reference, initials and date of birth.
    assert person_id not in response.text and "Reviewcase" not in response.text
    assert len(row["CLIENT_REF"]) == 16 and row["INITIALS"] == "SR"
    assert row["MODALITY"] == "pharmacological_maintenance"
    assert row["TREATMENT_GOAL"] == "stabilisation"
    assert row["PROBLEM_SUBSTANCE_1"] == "heroin"
    assert (row["WAIT_DAYS"], row["WITHIN_THREE_WEEKS"]) == ("0", "yes")
    # The same person has the same reference next time: the national system links them.
    again = await world.get("lm_lead", f"{R}/daisy/extract.csv", params={"month": month()})
    assert next(csv.DictReader(io.StringIO(again.text)))["CLIENT_REF"] == row["CLIENT_REF"]


async def test_fields_the_lead_may_not_read_are_blank_and_counted(world: Any) -> None:
    await in_treatment(world)
    summary = await world.get("lm_lead", f"{R}/daisy", params={"month": month()})
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["rows"], body["people"]) == (1, 1)
    columns = {c["column"]: c for c in body["completeness"]}
    # Sex is health: the lead (a case worker, not assigned, no consent) may not read it.
    assert columns["sex"] == {"column": "sex", "blank": 1, "withheld": 1}
    assert columns["modality"]["blank"] == 0
    assert columns["ethnicity"]["blank"] == 1


async def test_only_the_lead_and_only_the_nations_own_return(world: Any) -> None:
    await in_treatment(world)
    for user in ("lm_worker", "lm_nurse", "lm_analyst"):
        refused = await world.get(user, f"{R}/daisy/extract.csv", params={"month": month()})
        assert refused.status_code == 403, user
    wrong = await world.get("lm_lead", f"{R}/ndtms/extract.csv", params={"month": month()})
    assert wrong.status_code == 422 and "England" in wrong.json()["detail"]
    assert (await world.get("lm_lead", f"{R}/nope", params={"month": month()})).status_code == 404
    # With no month named, the return is for the month just ended: a treatment started
    # today is not in it.
    last_month = await world.get("lm_lead", f"{R}/daisy")
    assert last_month.status_code == 200 and last_month.json()["rows"] == 0
    assert last_month.json()["period_end"] < today()
    bad = await world.get("lm_lead", f"{R}/daisy", params={"month": "2026-13"})
    assert bad.status_code in (400, 422)
    assert (
        await world.get("lc_worker", f"{R}/daisy", params={"month": month()})
    ).status_code == 404


async def test_making_a_return_is_audited(world: Any) -> None:
    await in_treatment(world)
    await world.get("lm_lead", f"{R}/daisy/extract.csv", params={"month": month()})

    async def work(session: Any) -> list[AuditEvent]:
        stmt = select(AuditEvent).where(AuditEvent.record_type == "national_return")
        return list((await session.scalars(stmt)).all())

    events = await db_run(world, work)
    assert [(e.action, e.detail["return"], e.detail["rows"]) for e in events] == [
        ("export", "daisy", 1)
    ]


async def add_leicester_lead(world: Any) -> None:
    """A lead for the English partnership (the shared world has none), as ``lc_lead``."""

    async def add_lead(session: Any) -> str:
        user = User(username="lc_lead", display_name="Lc Lead", password_hash="x")
        session.add(user)
        await session.flush()
        session.add(
            Membership(
                tenant_id=world.tenants["leicester"].id,
                user_id=user.id,
                organisation_id=world.organisations[("leicester", "turning-point")].id,
                roles=["partnership_lead", "case_worker"],
            )
        )
        issued = await issue_token(session, user, world.settings.security)
        await session.commit()
        return issued.token

    world.tokens["lc_lead"] = await db_run(world, add_lead)


async def test_an_english_partnership_files_ndtms_with_its_release_dates(world: Any) -> None:
    await add_leicester_lead(world)
    person = await world.post(
        "lc_worker",
        f"{LC}/persons",
        {"given_name": "Ann", "family_name": "Example", "date_of_birth": "1990-01-01"},
    )
    assert person.status_code == 201, person.text
    response = await world.get(
        "lc_lead", f"{LC}/returns/ndtms/extract.csv", params={"month": month()}
    )
    assert response.status_code == 200, response.text
    header = next(csv.reader(io.StringIO(response.text)))
    assert {"CONDITIONAL_RELEASE_DATE", "HDC_ELIGIBILITY_DATE", "PAROLE_ELIGIBILITY_DATE"} <= set(
        header
    )
    assert "WAIT_DAYS" not in header
