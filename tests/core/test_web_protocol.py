"""The partnership lead's pages through the test client: protocol, edit, history, explain,
break-glass queue, and a member's emergency-access request."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.core.test_web import add_person, csrf_from, form_post, sign_in

LM = "/api/v1/t/low-moss"
PAGES = "/t/low-moss"
NEW_RULE = "p, r:case_worker, low-moss, health, read, partnership, no_consent"


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def live_rules(world: Any) -> str:
    response = await world.get("lm_lead", f"{LM}/protocol")
    assert response.status_code == 200, response.text
    rules: str = response.json()["rules"]
    return rules


def textarea_text(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]* name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1))


async def test_the_protocol_page_shows_the_live_version_and_the_matrix(world: Any) -> None:
    await sign_in(world, "lm_lead")
    page = await world.client.get(f"{PAGES}/protocol")
    assert page.status_code == 200, page.text
    live = (await world.get("lm_lead", f"{LM}/protocol")).json()
    matrix = (await world.get("lm_lead", f"{LM}/protocol/matrix")).json()
    assert '<h1 class="govuk-heading-l">Sharing protocol</h1>' in page.text
    assert f'<dd class="govuk-summary-list__value">{live["version"]}</dd>' in page.text
    assert html.escape(live["reason"]) in page.text
    # One table per category, a row per rule, with the users it reaches.
    assert page.text.count('<caption class="govuk-table__caption govuk-table__caption--s">') == len(
        matrix["categories"]
    )
    nhs_health = next(
        c
        for c in matrix["cells"]
        if c["subject"] == "k:nhs" and c["category"] == "health" and c["action"] == "read"
    )
    assert nhs_health["users"] == 1  # lm_nurse
    assert "NHS (organisations)" in page.text
    assert "Needs consent" in page.text
    assert f'href="{PAGES}/protocol/versions"' in page.text
    assert f'href="{PAGES}/protocol/edit"' in page.text
    nav = re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', page.text)
    assert f"{PAGES}/protocol" in nav and f"{PAGES}/break-glass" in nav


async def test_non_leads_get_the_plain_403_page_and_no_menu_link(world: Any) -> None:
    await sign_in(world, "lm_worker")
    caseload = await world.client.get(f"{PAGES}/caseload")
    assert f'href="{PAGES}/protocol"' not in caseload.text
    for path in ("protocol", "protocol/edit", "protocol/versions", "protocol/diff", "break-glass"):
        page = await world.client.get(f"{PAGES}/{path}")
        assert page.status_code == 403, path
        assert "You do not have permission to see this" in page.text
        assert "Traceback" not in page.text
    edit = await world.client.get(f"{PAGES}/caseload")
    response = await world.client.post(
        f"{PAGES}/protocol/edit",
        data={"rules": NEW_RULE, "action": "preview", "_csrf_token": csrf_from(edit.text)},
    )
    assert response.status_code == 403


async def test_a_leicester_user_gets_a_404_for_low_moss_pages(world: Any) -> None:
    await sign_in(world, "lc_worker")
    for path in ("protocol", "protocol/edit", "break-glass"):
        page = await world.client.get(f"{PAGES}/{path}")
        assert page.status_code == 404, path
        assert "Page not found" in page.text


async def test_the_edit_page_previews_the_effect_and_the_diff(world: Any) -> None:
    person = await add_person(world, "Lorna", "Healey", "LM200001")
    assert person
    await sign_in(world, "lm_lead")
    edit = await world.client.get(f"{PAGES}/protocol/edit")
    assert edit.status_code == 200
    rules = textarea_text(edit.text, "rules")
    assert rules == await live_rules(world)
    draft = rules + "\n" + NEW_RULE + "\n"
    response = await world.client.post(
        f"{PAGES}/protocol/edit",
        data={"rules": draft, "action": "preview", "_csrf_token": csrf_from(edit.text)},
    )
    assert response.status_code == 200, response.text
    # The three case workers (lead, worker, Sacro) in two organisations gain health for 1 person.
    assert "This change lets 3 users in 2 organisations read Health for 1 person" in response.text
    assert "+ </span>Added" in response.text
    assert html.escape(NEW_RULE) in response.text
    assert textarea_text(response.text, "rules") == draft  # the draft is kept, as typed
    # Nothing is published by a preview.
    versions = (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    assert len(versions) == 1


async def test_invalid_rules_show_in_the_error_summary_and_keep_the_text(world: Any) -> None:
    await sign_in(world, "lm_lead")
    astronaut = "p, r:astronaut, low-moss, health, read, partnership, no_consent"
    bad = (await live_rules(world)) + "\n" + astronaut + "\n"
    for action in ("preview", "publish"):
        response = await form_post(
            world,
            f"{PAGES}/protocol/edit",
            {"rules": bad, "action": action, "reason": "Add astronauts"},
        )
        assert response.status_code == 400, action
        assert "govuk-error-summary" in response.text
        assert 'href="#rules"' in response.text
        assert 'id="rules-error"' in response.text
        assert "astronaut" in response.text.split('id="rules-error"')[1].split("</p>")[0]
        assert textarea_text(response.text, "rules") == bad
        assert 'value="Add astronauts"' in response.text or ">Add astronauts</textarea>" in (
            response.text
        )
    versions = (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    assert len(versions) == 1


async def test_publishing_needs_a_reason(world: Any) -> None:
    await sign_in(world, "lm_lead")
    draft = (await live_rules(world)) + "\n" + NEW_RULE + "\n"
    response = await form_post(
        world, f"{PAGES}/protocol/edit", {"rules": draft, "action": "publish", "reason": "x"}
    )
    assert response.status_code == 400
    assert 'href="#reason">Enter why you are changing the protocol' in response.text
    assert textarea_text(response.text, "rules") == draft


async def test_the_lock_out_guard_refuses_and_keeps_what_was_typed(world: Any) -> None:
    await sign_in(world, "lm_lead")
    rules = await live_rules(world)
    draft = "\n".join(line for line in rules.splitlines() if "protocol, manage" not in line)
    response = await form_post(
        world,
        f"{PAGES}/protocol/edit",
        {"rules": draft, "action": "publish", "reason": "Tidy up"},
    )
    assert response.status_code == 400
    assert "would stop you managing the protocol" in response.text
    assert 'href="#rules"' in response.text
    assert textarea_text(response.text, "rules") == draft
    assert ">Tidy up</textarea>" in response.text
    assert len((await world.get("lm_lead", f"{LM}/protocol/versions")).json()) == 1


async def test_publishing_changes_what_others_see_and_shows_in_history(world: Any) -> None:
    person = await add_person(world, "Lorna", "Healey", "LM200002")
    sacro_before = await world.get("lm_sacro", f"{LM}/persons/{person}")
    assert "health" in sacro_before.json()["restricted"]
    await sign_in(world, "lm_lead")
    draft = (await live_rules(world)) + "\n" + NEW_RULE + "\n"
    response = await form_post(
        world,
        f"{PAGES}/protocol/edit",
        {"rules": draft, "action": "publish", "reason": "Health shared for release planning"},
    )
    assert response.status_code in (302, 303), response.text
    assert response.headers["location"] == f"{PAGES}/protocol?published=2"
    page = await world.client.get(response.headers["location"])
    assert "Version 2 published" in page.text
    assert "Health shared for release planning" in page.text
    sacro_after = await world.get("lm_sacro", f"{LM}/persons/{person}")
    assert "health" not in sacro_after.json()["restricted"]

    history = await world.client.get(f"{PAGES}/protocol/versions")
    assert history.status_code == 200
    assert "Health shared for release planning" in history.text
    assert f"{PAGES}/protocol/diff?from_version=1&amp;to_version=2" in history.text
    diff = await world.client.get(f"{PAGES}/protocol/diff?from_version=1&to_version=2")
    assert diff.status_code == 200
    assert "1 rules added, 0 removed" in diff.text
    assert html.escape(NEW_RULE) in diff.text
    back = await world.client.get(f"{PAGES}/protocol/diff?from_version=2&to_version=1")
    assert "0 rules added, 1 removed" in back.text
    assert "- </span>Removed" in back.text
    missing = await world.client.get(f"{PAGES}/protocol/diff?from_version=1&to_version=9")
    assert missing.status_code == 404


async def test_explain_says_why_a_member_cannot_see_health(world: Any) -> None:
    person = await add_person(world, "Lorna", "Healey", "LM200003")
    assert person
    await sign_in(world, "lm_lead")
    blank = await world.client.get(f"{PAGES}/protocol/explain")
    assert blank.status_code == 200
    sacro_id = world.users["lm_sacro"].id
    assert f'<option value="{sacro_id}">' in blank.text  # the tenant's members are offered
    answer = await world.client.get(
        f"{PAGES}/protocol/explain",
        params={
            "user": str(sacro_id),
            "person": "lm200003",
            "category": "health",
            "action": "read",
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Not allowed" in answer.text
    # Sacro's case worker is not the person's key worker: the rule's scope is the reason.
    assert "only for people they are key worker for or allocated to" in answer.text
    # The reason is plain words: the rule is kept for the audit, not quoted in the sentence.
    assert "case_worker" not in answer.text.split("only for people")[1].split("</p>")[0]
    wrong = await world.client.get(
        f"{PAGES}/protocol/explain",
        params={"user": "nobody", "person": "XX0", "category": "health", "action": "read"},
    )
    assert wrong.status_code == 400
    assert 'href="#user"' in wrong.text and 'href="#person"' in wrong.text
    assert 'value="XX0"' in wrong.text


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


async def test_publishing_tells_the_other_processes(world: Any, monkeypatch: Any) -> None:
    told: list[tuple[Any, ...]] = []

    async def fake_announce(redis_url: str | None, tenant_id: Any, version: int) -> None:
        told.append((redis_url, tenant_id, version))

    monkeypatch.setattr("core.web.protocol.announce", fake_announce)
    await sign_in(world, "lm_lead")
    draft = (await live_rules(world)) + "\n" + NEW_RULE + "\n"
    response = await form_post(
        world,
        f"{PAGES}/protocol/edit",
        {"rules": draft, "action": "publish", "reason": "Health for key workers"},
    )
    assert response.status_code in (302, 303), response.text
    tenant_id = world.tenants["low-moss"].id
    assert told == [(world.settings.redis.url, tenant_id, 2)]
    # This process dropped its enforcer for the old version: the next request uses version 2.
    matrix = (await world.get("lm_lead", f"{LM}/protocol/matrix")).json()
    assert matrix["version"] == 2
    stale = await world.client.get(f"{PAGES}/protocol?published=1")
    assert "published. It applies" not in stale.text
