"""Break-glass through the pages: a member asks for emergency access, the lead reviews it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.core.test_web import add_person, csrf_from, sign_in

LM = "/api/v1/t/low-moss"
PAGES = "/t/low-moss"


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def test_a_member_breaks_glass_and_the_lead_reviews_it(world: Any) -> None:
    person = await add_person(world, "Lorna", "Healey", "LM200004")
    await sign_in(world, "lm_sacro")
    url = f"{PAGES}/persons/{person}/break-glass"
    record = await world.client.get(f"{PAGES}/persons/{person}")
    assert f'href="{url}">ask for break-glass access' in record.text
    form = await world.client.get(url)
    assert form.status_code == 200
    assert "recorded in the audit log" in form.text
    assert 'value="health"' in form.text and 'value="identity"' not in form.text
    missing = await world.client.post(
        url, data={"category": "health", "minutes": "60", "_csrf_token": csrf_from(form.text)}
    )
    assert missing.status_code == 400
    assert 'href="#reason">Enter why you need emergency access' in missing.text
    assert 'value="health" checked' in missing.text
    opened = await world.client.post(
        url,
        data={
            "category": "health",
            "reason": "Collapsed on the wing",
            "minutes": "30",
            "_csrf_token": csrf_from(form.text),
        },
    )
    assert opened.status_code == 200, opened.text
    assert "You can read Health for this person until" in opened.text
    assert 'value="health"' not in opened.text  # no longer withheld, so no longer offered
    readable = await world.client.post(
        url,
        data={
            "category": "identity",
            "reason": "Checking",
            "minutes": "30",
            "_csrf_token": csrf_from(form.text),
        },
    )
    assert readable.status_code == 400
    assert 'href="#category">You can already read identity for this person' in readable.text
    record = await world.get("lm_sacro", f"{LM}/persons/{person}")
    assert "health" not in record.json()["restricted"]

    await sign_in(world, "lm_lead")
    queue = await world.client.get(f"{PAGES}/break-glass")
    assert queue.status_code == 200
    assert "Collapsed on the wing" in queue.text
    assert "Active" in queue.text
    grant = re.search(r'action="/t/low-moss/break-glass/([0-9a-f-]{36})/review"', queue.text)
    assert grant
    review_url = f"{PAGES}/break-glass/{grant.group(1)}/review"
    empty = await world.client.post(
        review_url, data={"note": " ", "_csrf_token": csrf_from(queue.text)}
    )
    assert empty.status_code == 400
    assert f'href="#g-{grant.group(1)}-note">Enter a review note' in empty.text
    done = await world.client.post(
        review_url, data={"note": "Justified", "_csrf_token": csrf_from(queue.text)}
    )
    assert done.status_code in (302, 303)
    assert done.headers["location"] == f"{PAGES}/break-glass?done=1"
    after = await world.client.get(done.headers["location"])
    assert "marked as reviewed" in after.text
    assert "Collapsed on the wing" not in after.text
    reviewed = await world.client.get(f"{PAGES}/break-glass?show=reviewed")
    assert "Collapsed on the wing" in reviewed.text and "Justified" in reviewed.text
    again = await world.client.post(
        review_url, data={"note": "Twice", "_csrf_token": csrf_from(queue.text)}
    )
    assert again.status_code == 400
    assert 'href="#main-content">This break-glass grant has already been reviewed' in again.text
    alias = await world.client.get(f"{PAGES}/protocol/break-glass")
    assert alias.headers["location"] == f"{PAGES}/break-glass"


async def test_a_leicester_user_cannot_break_glass_on_a_low_moss_person(world: Any) -> None:
    person = await add_person(world, "Lorna", "Healey", "LM200005")
    await sign_in(world, "lc_worker")
    page = await world.client.get(f"{PAGES}/persons/{person}/break-glass")
    assert page.status_code == 404
