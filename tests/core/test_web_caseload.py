"""The caseload's defaults: the viewer's own active people first, the partnership's list one
link away, closed episodes only on request, dates from today, and the analyst's landing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from core import clock
from core.episodes.models import Episode, Phase
from tests.core.test_web import LM, PAGES, add_person, sign_in
from tests.core.test_web_tasks import db, refer


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def with_episode(
    world: Any, given: str, family: str, number: str, *, key_worker: str | None, closed: bool
) -> str:
    person = await add_person(world, given, family, number, **_soon())
    episode_id = uuid.UUID((await refer(world, person))["episode_id"])
    async with db(world) as session:
        await session.execute(
            update(Episode)
            .where(Episode.id == episode_id)
            .values(
                key_worker_id=world.users[key_worker].id if key_worker else None,
                # Another organisation leads, so only the key worker makes it "mine".
                lead_organisation_id=uuid.UUID(world.org_id("low-moss", "sacro")),
                phase=Phase.CLOSED if closed else Phase.IN_CUSTODY_SUPPORT,
                closed_at=clock.now() if closed else None,
            )
        )
        await session.commit()
    return person


def _soon() -> dict[str, str]:
    return {"liberation_date": (clock.today() + timedelta(days=5)).isoformat()}


async def test_the_caseload_opens_on_my_active_people(world: Any) -> None:
    await with_episode(world, "Mine", "Open", "C100001", key_worker="lm_worker", closed=False)
    await with_episode(world, "Mine", "Closed", "C100002", key_worker="lm_worker", closed=True)
    await with_episode(world, "Theirs", "Open", "C100003", key_worker="lm_lead", closed=False)
    await sign_in(world, "lm_worker")

    default = await world.client.get(f"{PAGES}/caseload")
    assert "Open, Mine" in default.text
    assert "Closed, Mine" not in default.text and "Open, Theirs" not in default.text
    assert 'href="?people=all"' in default.text  # the partnership's list, one click away
    # A search of my people that misses says so, with the partnership's search one link away.
    missed = await world.client.get(f"{PAGES}/caseload", params={"q": "Theirs"})
    assert "No people match your search" in missed.text
    assert 'href="?people=all&amp;q=Theirs"' in missed.text

    everyone = await world.client.get(f"{PAGES}/caseload", params={"people": "all"})
    assert "Open, Mine" in everyone.text and "Open, Theirs" in everyone.text
    assert "Closed, Mine" not in everyone.text

    asked = await world.client.get(f"{PAGES}/caseload", params={"people": "all", "closed": "1"})
    assert "Closed, Mine" in asked.text and "Open, Theirs" in asked.text

    # The liberation window lists nobody whose episode is closed, on either list.
    window = await world.client.get(
        f"{PAGES}/caseload", params={"people": "all", "liberation_within": "14"}
    )
    assert "Open, Mine" in window.text and "Closed, Mine" not in window.text


async def test_without_own_people_it_opens_on_the_partnership(world: Any) -> None:
    await with_episode(world, "Only", "Theirs", "C200001", key_worker="lm_lead", closed=False)
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload")
    assert "Theirs, Only" in page.text
    assert "There is nobody on this partnership" not in page.text


async def test_soonest_first_starts_from_today(world: Any) -> None:
    today = clock.today()
    await add_person(
        world, "Long", "Past", "D100001", liberation_date=(today - timedelta(days=400)).isoformat()
    )
    await add_person(
        world, "Next", "Week", "D100002", liberation_date=(today + timedelta(days=7)).isoformat()
    )
    await add_person(
        world, "Next", "Month", "D100003", liberation_date=(today + timedelta(days=30)).isoformat()
    )
    await sign_in(world, "lm_worker")
    page = await world.client.get(
        f"{PAGES}/caseload", params={"people": "all", "sort": "liberation"}
    )
    assert page.text.index("Week, Next") < page.text.index("Month, Next")
    assert page.text.index("Month, Next") < page.text.index("Past, Long")


async def test_the_analyst_lands_on_the_reports(world: Any) -> None:
    await add_person(world, "Not", "Shown", "E100001")
    await sign_in(world, "lm_analyst")
    page = await world.client.get(f"{PAGES}/caseload")
    assert page.status_code in (302, 303)
    assert page.headers["location"] == f"{PAGES}/reports"
    reports = await world.client.get(page.headers["location"])
    assert reports.status_code == 200
    # Someone who reads people is not sent away.
    assert (await world.get("lm_worker", f"{LM}/persons")).status_code == 200
    world.client.cookies.clear()
    await sign_in(world, "lm_worker")
    assert (await world.client.get(f"{PAGES}/caseload")).status_code == 200
