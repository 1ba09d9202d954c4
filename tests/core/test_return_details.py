"""What the national returns need about a person: each field in its own sharing category,
"not stated" always an answer, refused whole when one field may not be written."""

from __future__ import annotations

import uuid
from typing import Any

from tests.core.test_outcomes import LM, audit_rows
from tests.core.test_treatment import field_of, person_in_treatment


def url(person_id: str) -> str:
    return f"{LM}/persons/{person_id}/return-details"


async def test_each_partner_records_the_items_that_are_its_own(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    # The nurse records the equality items (health) and the substances.
    nurse = await world.patch(
        "lm_nurse",
        url(person_id),
        {
            "sex": "male",
            "ethnicity": "not_stated",
            "problem_substance_1": "heroin",
            "problem_substance_2": "crack",
            "injecting": "previously",
        },
    )
    assert nurse.status_code == 200, nurse.text
    # The prison records the legal status and the release dates (custody).
    prison = await world.patch(
        "lm_officer",
        url(person_id),
        {"legal_status": "convicted", "conditional_release_date": "2027-05-14"},
    )
    assert prison.status_code == 200, prison.text
    # The nurse may not write custody: the whole update is refused, nothing half-saved.
    mixed = await world.patch(
        "lm_nurse", url(person_id), {"injecting": "currently", "legal_status": "remand"}
    )
    assert mixed.status_code == 403
    seen = (await world.get("lm_nurse", url(person_id))).json()
    assert (seen["sex"], seen["ethnicity"], seen["injecting"]) == (
        "male",
        "not_stated",
        "previously",
    )
    assert seen["legal_status"] == "convicted"


async def test_a_field_not_shared_is_null_and_named(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    await world.patch(
        "lm_nurse", url(person_id), {"sex": "female", "problem_substance_1": "alcohol"}
    )
    officer = (await world.get("lm_officer", url(person_id))).json()
    # The prison officer reads custody and identity, not the equality items or health.
    assert officer["sex"] is None and "sex" in officer["withheld"]
    assert "legal_status" not in officer["withheld"]
    worker = (await world.get("lm_worker", url(person_id))).json()
    # The case worker reads substance use for its own organisation's people, and not health.
    assert worker["problem_substance_1"] == "alcohol"
    assert worker["sex"] is None and "sex" in worker["withheld"]
    rows = await audit_rows(world, person_id=uuid.UUID(person_id), record_type="return_details")
    assert {r.action for r in rows} >= {"read", "update"}


async def test_bad_input_is_refused_with_the_field_named(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    assert (await world.patch("lm_nurse", url(person_id), {"sex": "unknown"})).status_code == 400
    assert (await world.patch("lm_nurse", url(person_id), {})).status_code == 422
    gap = await world.patch("lm_nurse", url(person_id), {"problem_substance_2": "crack"})
    assert gap.status_code == 422 and field_of(gap) == "problem_substance_2"
    twice = await world.patch(
        "lm_nurse", url(person_id), {"problem_substance_1": "crack", "problem_substance_2": "crack"}
    )
    assert twice.status_code == 422
    assert (await world.patch("lm_nurse", url(person_id), {"surprise": 1})).status_code == 400


async def test_nothing_crosses_a_partnership(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    assert (await world.get("lc_worker", url(person_id))).status_code == 404
    assert (
        await world.get("lc_worker", f"/api/v1/t/leicester/persons/{person_id}/return-details")
    ).status_code == 404
    assert (await world.patch("lc_worker", url(person_id), {"sex": "male"})).status_code == 404


async def test_the_record_page_shows_and_changes_what_each_may(world: Any) -> None:
    from tests.core.test_web import PAGES, csrf_from, sign_in

    world.client.follow_redirects = False
    person_id, _ = await person_in_treatment(world)
    await sign_in(world, "lm_nurse")
    form_url = f"{PAGES}/persons/{person_id}/return-details"
    form = await world.client.get(form_url)
    assert form.status_code == 200
    # The nurse is offered health and substance use, not custody.
    assert 'name="sex"' in form.text and 'name="injecting"' in form.text
    assert 'name="legal_status"' not in form.text
    typed = {"sex": "female", "problem_substance_2": "crack", "_csrf_token": csrf_from(form.text)}
    bad = await world.client.post(form_url, data=typed)
    assert bad.status_code == 400 and "before substance 2" in bad.text
    assert 'value="female" selected' in bad.text
    good = await world.client.post(
        form_url,
        data={**typed, "problem_substance_1": "heroin", "_csrf_token": csrf_from(bad.text)},
    )
    assert good.status_code in (302, 303), good.text
    world.client.cookies.clear()
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert "For the national returns" in page.text
    assert "Heroin" in page.text
    assert "Not shared with your organisation: sex" in page.text
