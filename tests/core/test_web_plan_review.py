"""Reviewing the recovery plan from the record, and changing the treatment goal at the
review: each goal kept in the history with its date and reason, nothing typed lost."""

from __future__ import annotations

from typing import Any

from core import clock
from tests.core.test_outcomes import LM
from tests.core.test_plans import URL as PLANS
from tests.core.test_treatment import no_redirects as no_redirects
from tests.core.test_treatment import person_in_treatment
from tests.core.test_web import PAGES, csrf_from, sign_in


def typed(**extra: str) -> dict[str, str]:
    day = clock.today()
    return {
        "reviewed_on-day": str(day.day),
        "reviewed_on-month": str(day.month),
        "reviewed_on-year": str(day.year),
        "notes": "Stable on the script; wants to reduce before release",
        **extra,
    }


async def new_plan(world: Any) -> tuple[str, str]:
    person_id, episode_id = await person_in_treatment(world)
    plan = await world.post(
        "lm_worker",
        PLANS,
        {"person_id": person_id, "episode_id": episode_id, "goals": ["Reduce the script"]},
    )
    assert plan.status_code == 201, plan.text
    return person_id, plan.json()["id"]


async def test_a_goal_changes_three_times_at_plan_reviews_and_each_is_kept(
    world: Any, no_redirects: None
) -> None:
    person_id, plan_id = await new_plan(world)
    await sign_in(world, "lm_worker")
    record = await world.client.get(f"{PAGES}/persons/{person_id}")
    url = f"{PAGES}/persons/{person_id}/plans/{plan_id}/review"
    assert url.removeprefix(PAGES) in record.text.replace(PAGES, "")
    steps = [
        ("stabilisation", "Settling on the wing first"),
        ("reduction", "Stable; agreed to start reducing"),
        ("abstinence", "Wants to be drug-free on release"),
    ]
    previous = None
    for goal, reason in steps:
        form = await world.client.get(url)
        assert form.status_code == 200, form.text
        # The form says what the goal is now: the last one recorded.
        assert (f"Their goal is {previous}." if previous else "No treatment goal") in form.text
        previous = goal
        saved = await world.client.post(
            url,
            data={**typed(goal=goal, reason=reason), "_csrf_token": csrf_from(form.text)},
        )
        assert saved.status_code in (302, 303), saved.text
    history = await world.get("lm_worker", f"{LM}/persons/{person_id}/treatment")
    assert history.status_code == 200, history.text
    goals = sorted(history.json()["goals"], key=lambda g: g["created_at"])
    assert [g["goal"] for g in goals] == [g for g, _ in steps]
    assert [g["reason"] for g in goals][1:] == [r for _, r in steps][1:]
    plan = await world.get("lm_worker", f"{PLANS}/{plan_id}")
    assert len(plan.json()["reviews"]) == 3
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert "wants to reduce before release" in page.text


async def test_a_review_without_notes_or_a_change_without_a_reason_keeps_what_was_typed(
    world: Any, no_redirects: None
) -> None:
    person_id, plan_id = await new_plan(world)
    await sign_in(world, "lm_worker")
    url = f"{PAGES}/persons/{person_id}/plans/{plan_id}/review"
    form = await world.client.get(url)
    bad = await world.client.post(
        url,
        data={**typed(notes="", goal="reduction"), "_csrf_token": csrf_from(form.text)},
    )
    assert bad.status_code == 400
    assert 'href="#notes"' in bad.text and 'href="#reason"' in bad.text
    assert '<option value="reduction" selected' in bad.text
    # Nothing was saved: neither the review nor the goal.
    plan = await world.get("lm_worker", f"{PLANS}/{plan_id}")
    assert plan.json()["reviews"] == []
    history = await world.get("lm_worker", f"{LM}/persons/{person_id}/treatment")
    assert history.json()["goals"] == []
    future = clock.today().replace(year=clock.today().year + 1)
    late = await world.client.post(
        url,
        data={
            **typed(goal="reduction", reason="Agreed"),
            "reviewed_on-year": str(future.year),
            "_csrf_token": csrf_from(bad.text),
        },
    )
    assert late.status_code == 400 and "today or in the past" in late.text
    history = await world.get("lm_worker", f"{LM}/persons/{person_id}/treatment")
    assert history.json()["goals"] == []
