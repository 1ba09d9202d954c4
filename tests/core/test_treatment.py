"""Structured treatment: modalities that change within a sentence and a goal history that
is never overwritten (Holme House), through the API and the record page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from core import clock
from tests.core.test_consents import refer_from
from tests.core.test_outcomes import LC, LM, audit_rows, make_person
from tests.core.test_web import PAGES, csrf_from, sign_in

T = f"{LM}/treatment"


def today(days: int = 0) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def person_in_treatment(world: Any) -> tuple[str, str]:
    person_id = await make_person(world)
    episode_id = await refer_from(world, person_id, "turning-point-scotland")
    return person_id, episode_id


async def start(world: Any, person_id: str, modality: str, user: str = "lm_worker") -> Any:
    return await world.post(
        user,
        f"{T}/modalities",
        {"person_id": person_id, "modality": modality, "started_on": today()},
    )


def field_of(response: Any) -> str | None:
    extra = response.json().get("extra") or []
    return extra[0].get("key") if extra and isinstance(extra[0], dict) else None


async def test_maintenance_to_reducing_to_ended_within_one_sentence(world: Any) -> None:
    person_id, episode_id = await person_in_treatment(world)
    started = await start(world, person_id, "pharmacological_maintenance")
    assert started.status_code == 201, started.text
    assert started.json()["episode_id"] == episode_id
    assert started.json()["organisation_name"] == "Turning Point Scotland"

    changed = await world.post(
        "lm_worker",
        f"{T}/modalities/{started.json()['id']}/change",
        {"to": "pharmacological_reducing", "changed_on": today()},
    )
    assert changed.status_code == 201, changed.text
    assert changed.json()["ended"]["exit_reason"] == "changed_modality"
    reducing = changed.json()["started"]
    assert reducing["modality"] == "pharmacological_reducing"

    ended = await world.post(
        "lm_worker",
        f"{T}/modalities/{reducing['id']}/end",
        {"ended_on": today(), "exit_reason": "completed_drug_free"},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["exit_label"] == "Treatment completed: drug free"

    history = await world.get("lm_worker", f"{LM}/persons/{person_id}/treatment")
    assert history.status_code == 200, history.text
    rows = history.json()["modalities"]
    assert {r["modality"]: r["exit_reason"] for r in rows} == {
        "pharmacological_maintenance": "changed_modality",
        "pharmacological_reducing": "completed_drug_free",
    }
    # Ending it twice is a conflict, not a second end.
    again = await world.post(
        "lm_worker",
        f"{T}/modalities/{reducing['id']}/end",
        {"ended_on": today(), "exit_reason": "dropped_out"},
    )
    assert again.status_code == 409


async def test_one_prescription_at_a_time_but_psychosocial_alongside(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    assert (await start(world, person_id, "pharmacological_maintenance")).status_code == 201
    second = await start(world, person_id, "pharmacological_detox")
    assert second.status_code == 422
    assert field_of(second) == "modality"
    assert (await start(world, person_id, "psychosocial")).status_code == 201
    assert (await start(world, person_id, "psychosocial")).status_code == 409


async def test_dates_and_episodes_are_checked(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    future = await world.post(
        "lm_worker",
        f"{T}/modalities",
        {"person_id": person_id, "modality": "psychosocial", "started_on": today(1)},
    )
    assert future.status_code == 422 and field_of(future) == "started_on"
    before = await world.post(
        "lm_worker",
        f"{T}/modalities",
        {"person_id": person_id, "modality": "psychosocial", "started_on": today(-30)},
    )
    assert before.status_code == 422 and "before the episode opened" in before.json()["detail"]
    # Someone with no open episode has no treatment to record within.
    no_episode = await make_person(world, family_name="Noepisode")
    refused = await start(world, no_episode, "psychosocial")
    assert refused.status_code == 422 and field_of(refused) == "episode_id"
    unknown = await world.post(
        "lm_worker",
        f"{T}/modalities",
        {"person_id": person_id, "modality": "cold_turkey", "started_on": today()},
    )
    assert unknown.status_code == 400


async def test_the_goal_is_a_history_each_change_with_who_and_why(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    first = await world.post(
        "lm_worker",
        f"{T}/goals",
        {"person_id": person_id, "goal": "maintenance", "set_on": today()},
    )
    assert first.status_code == 201, first.text
    unexplained = await world.post(
        "lm_worker", f"{T}/goals", {"person_id": person_id, "goal": "reduction", "set_on": today()}
    )
    assert unexplained.status_code == 422 and field_of(unexplained) == "reason"
    same = await world.post(
        "lm_worker",
        f"{T}/goals",
        {"person_id": person_id, "goal": "maintenance", "set_on": today(), "reason": "x"},
    )
    assert same.status_code == 422 and field_of(same) == "goal"
    changed = await world.post(
        "lm_worker",
        f"{T}/goals",
        {
            "person_id": person_id,
            "goal": "abstinence",
            "set_on": today(),
            "reason": "Wants to be drug free before his children's visit",
        },
    )
    assert changed.status_code == 201, changed.text
    assert changed.json()["previous_goal"] == "maintenance"
    backdated = await world.post(
        "lm_worker",
        f"{T}/goals",
        {"person_id": person_id, "goal": "reduction", "set_on": today(-1), "reason": "r"},
    )
    assert backdated.status_code == 422 and field_of(backdated) == "set_on"

    history = (await world.get("lm_worker", f"{LM}/persons/{person_id}/treatment")).json()
    assert history["current_goal"]["goal"] == "abstinence"
    assert [g["goal"] for g in history["goals"]] == ["abstinence", "maintenance"]
    assert history["goals"][0]["set_by_name"] == "Lm Worker"
    assert history["goals"][0]["reason"].startswith("Wants to be drug free")
    # No route edits or deletes a goal: the history cannot be rewritten.
    goal_id = history["goals"][1]["id"]
    assert (await world.patch("lm_worker", f"{T}/goals/{goal_id}", {"goal": "x"})).status_code in (
        404,
        405,
    )
    assert (await world.delete("lm_worker", f"{T}/goals/{goal_id}")).status_code in (404, 405)


async def test_who_may_see_and_change_treatment(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    started = await start(world, person_id, "pharmacological_maintenance")
    modality_id = started.json()["id"]
    # The nurse reads substance use across the partnership, and may record treatment...
    assert (await world.get("lm_nurse", f"{LM}/persons/{person_id}/treatment")).status_code == 200
    assert (await start(world, person_id, "psychosocial", user="lm_nurse")).status_code == 201
    # ...but only the organisation delivering a treatment ends or changes it.
    refused = await world.post(
        "lm_nurse",
        f"{T}/modalities/{modality_id}/end",
        {"ended_on": today(), "exit_reason": "dropped_out"},
    )
    assert refused.status_code == 403
    assert "Turning Point Scotland" in refused.json()["detail"]
    # Sacro does not work with the person: it may not see or write their treatment.
    assert (await world.get("lm_sacro", f"{LM}/persons/{person_id}/treatment")).status_code in (
        403,
        404,
    )
    assert (await start(world, person_id, "recovery_support", user="lm_sacro")).status_code in (
        403,
        404,
    )
    # Another partnership never sees it: the same 404 as for a person who does not exist.
    assert (await world.get("lc_worker", f"{LM}/persons/{person_id}/treatment")).status_code == 404
    assert (await world.get("lc_worker", f"{LC}/persons/{person_id}/treatment")).status_code == 404
    # The analyst sees no person's treatment.
    assert (await world.get("lm_analyst", f"{LM}/persons/{person_id}/treatment")).status_code in (
        403,
        404,
    )


async def test_every_read_and_write_is_audited(world: Any) -> None:
    person_id, _ = await person_in_treatment(world)
    started = await start(world, person_id, "psychosocial")
    await world.get("lm_nurse", f"{LM}/persons/{person_id}/treatment")
    rows = await audit_rows(world, person_id=uuid.UUID(person_id))
    kinds = {(r.action, r.record_type) for r in rows}
    assert ("create", "treatment_modality") in kinds
    assert ("read", "treatment_history") in kinds
    created = [r for r in rows if r.record_type == "treatment_modality"]
    assert str(created[0].record_id) == started.json()["id"]


@pytest.fixture
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def test_the_record_page_shows_treatment_and_its_forms_keep_what_was_typed(
    world: Any, no_redirects: None
) -> None:
    person_id, _ = await person_in_treatment(world)
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert page.status_code == 200
    assert "No treatment open" in page.text
    assert f"/persons/{person_id}/treatment/start" in page.text

    url = f"{PAGES}/persons/{person_id}/treatment/goal"
    form = await world.client.get(url)
    assert form.status_code == 200
    day = clock.today()
    typed = {
        "goal": "stabilisation",
        "set_on-day": str(day.day),
        "set_on-month": "13",
        "set_on-year": str(day.year),
        "reason": "Settling on the wing first",
        "_csrf_token": csrf_from(form.text),
    }
    bad = await world.client.post(url, data=typed)
    assert bad.status_code == 400
    assert "Settling on the wing first" in bad.text
    assert 'value="stabilisation" checked' in bad.text
    assert "must be a real date" in bad.text
    good = await world.client.post(
        url, data={**typed, "set_on-month": str(day.month), "_csrf_token": csrf_from(bad.text)}
    )
    assert good.status_code in (302, 303), good.text
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert "Stabilisation, since" in page.text
    assert "Change the goal" in page.text


async def test_the_panel_is_withheld_and_its_forms_not_offered_where_not_shared(
    world: Any, no_redirects: None
) -> None:
    person_id, _ = await person_in_treatment(world)
    assert (await start(world, person_id, "psychosocial")).status_code == 201
    await sign_in(world, "lm_officer")
    # The officer may see the person (custody) but not their substance-use treatment.
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert page.status_code == 200
    assert 'id="panel-treatment"' in page.text
    assert "/treatment/start" not in page.text
    assert "Psychosocial since" not in page.text
    refused = await world.client.get(f"{PAGES}/persons/{person_id}/treatment/start")
    assert refused.status_code in (403, 404)
