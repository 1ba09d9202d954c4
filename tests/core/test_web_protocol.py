"""The partnership lead's pages through the test client: the live matrix in plain words,
the expert's rules view, history as sentences, explain, the break-glass queue, and a
member's emergency-access request."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import update

from core.db.engine import make_engine, make_session_factory
from core.tenancy.models import Tenant
from tests.core.test_web import add_person, csrf_from, form_post, sign_in

LM = "/api/v1/t/low-moss"
PAGES = "/t/low-moss"
NEW_RULE = "p, r:case_worker, low-moss, health, read, partnership, no_consent"
# Anything that looks like the protocol's rule syntax: a subject, a scope or consent
# keyword, or a policy line. None of it belongs on a page a non-expert reads.
RULE_SYNTAX = re.compile(
    r"\b[rkg]:[a-z_]{2,}|\bno_consent\b|\bown_organisation\b|\bself_allocation\b"
    r"|\bcase_worker\b|\bpartnership_lead\b|^\s*p, ",
    re.M,
)


def rule_syntax(page: str) -> list[str]:
    """Rule syntax in the page's visible text and attribute values shown to people.

    Form field names carry the cell's key (``r:case_worker|health|read``) for the server;
    they are not shown, so ``name="..."``, ``id``/``for``/``aria-*`` and option values are
    dropped before looking.
    """
    text = re.sub(r'\s(?:name|id|for|value|aria-describedby|href)="[^"]*"', "", page)
    text = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    return RULE_SYNTAX.findall(text)


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def set_threshold(world: Any, share: float) -> None:
    """The tenant's two-person threshold, as its tenant file would set it."""
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            tenant = await session.get(Tenant, world.tenants["low-moss"].id)
            assert tenant is not None
            config = dict(tenant.config) | {"protocol_approval_threshold": share}
            await session.execute(
                update(Tenant).where(Tenant.id == tenant.id).values(config=config)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def live_rules(world: Any) -> str:
    response = await world.get("lm_lead", f"{LM}/protocol")
    assert response.status_code == 200, response.text
    rules: str = response.json()["rules"]
    return rules


def textarea_text(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]* name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1))


async def test_the_protocol_page_shows_the_matrix_in_the_partnerships_words(world: Any) -> None:
    await add_person(world, "Lorna", "Healey", "LM200010")
    await sign_in(world, "lm_lead")
    page = await world.client.get(f"{PAGES}/protocol")
    assert page.status_code == 200, page.text
    live = (await world.get("lm_lead", f"{LM}/protocol")).json()
    matrix = (await world.get("lm_lead", f"{LM}/protocol/matrix")).json()
    assert '<h1 class="govuk-heading-l">Sharing protocol</h1>' in page.text
    assert f'<dd class="govuk-summary-list__value">{live["version"]}</dd>' in page.text
    assert html.escape(live["reason"]) in page.text
    # One table per category, plus the table of what each scope reaches.
    captions = page.text.count('<caption class="govuk-table__caption govuk-table__caption--s">')
    assert captions == len(matrix["categories"]) + 1
    nhs_health = next(
        c
        for c in matrix["cells"]
        if c["subject"] == "k:nhs" and c["category"] == "health" and c["action"] == "read"
    )
    assert nhs_health["users"] == 1  # lm_nurse
    # Subjects as the partnership names them: its organisations, not the rule's spelling.
    assert "NHS staff (NHS Greater Glasgow and Clyde)" in page.text
    assert "Case workers (Sacro and Turning Point Scotland)" in page.text
    assert "(role)" not in page.text and "(organisations)" not in page.text
    assert "People they are assigned to, with consent" in page.text
    assert "Needs consent" in page.text
    assert rule_syntax(page.text) == []
    # Scopes in numbers: Turning Point registered the person, so it works with one person.
    reach = page.text.split('id="scope-reach"')[1].split("</table>")[0]
    row = reach.split("Turning Point Scotland</th>")[1].split("</tr>")[0]
    assert re.findall(r">(\d+)(?: people)?</td>", row) == ["3", "0", "1", "1"]
    assert f'href="{PAGES}/protocol/versions"' in page.text
    assert f'href="{PAGES}/protocol/edit"' in page.text
    assert f'href="{PAGES}/protocol/edit?category=health"' in page.text  # change one category
    nav = re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', page.text)
    assert f"{PAGES}/protocol" in nav and f"{PAGES}/break-glass" in nav


async def test_non_leads_get_the_plain_403_page_and_no_menu_link(world: Any) -> None:
    await sign_in(world, "lm_worker")
    caseload = await world.client.get(f"{PAGES}/caseload")
    assert f'href="{PAGES}/protocol"' not in caseload.text
    paths = (
        "protocol",
        "protocol/edit",
        "protocol/rules",
        "protocol/approvals",
        "protocol/versions",
        "protocol/diff",
        "break-glass",
    )
    for path in paths:
        page = await world.client.get(f"{PAGES}/{path}")
        assert page.status_code == 403, path
        assert "You do not have permission to see this" in page.text
        assert "Traceback" not in page.text
    token = csrf_from(caseload.text)
    for path, data in (
        ("protocol/rules", {"rules": NEW_RULE, "action": "preview"}),
        ("protocol/edit", {"r:case_worker|health|read": "partnership/-", "action": "publish"}),
    ):
        response = await world.client.post(f"{PAGES}/{path}", data={**data, "_csrf_token": token})
        assert response.status_code == 403, path


async def test_a_leicester_user_gets_a_404_for_low_moss_pages(world: Any) -> None:
    await sign_in(world, "lc_worker")
    for path in ("protocol", "protocol/edit", "protocol/rules", "protocol/approvals"):
        page = await world.client.get(f"{PAGES}/{path}")
        assert page.status_code == 404, path
        assert "Page not found" in page.text


async def test_the_rules_view_previews_the_effect_the_sentences_and_the_lines(world: Any) -> None:
    await add_person(world, "Lorna", "Healey", "LM200001")
    await sign_in(world, "lm_lead")
    edit = await world.client.get(f"{PAGES}/protocol/rules")
    assert edit.status_code == 200
    rules = textarea_text(edit.text, "rules")
    assert rules == await live_rules(world)
    draft = rules + "\n" + NEW_RULE + "\n"
    response = await world.client.post(
        f"{PAGES}/protocol/rules",
        data={"rules": draft, "action": "preview", "_csrf_token": csrf_from(edit.text)},
    )
    assert response.status_code == 200, response.text
    # The three case workers (lead, worker, Sacro) in two organisations gain health for 1 person.
    assert "This change lets 3 users in 2 organisations read Health for 1 person" in response.text
    assert (
        "Case workers (Sacro and Turning Point Scotland) can now read Health for everyone in "
        "the partnership, instead of people they are assigned to, with consent."
    ) in html.unescape(response.text)
    assert "+ </span>Added" in response.text
    assert html.escape(NEW_RULE) in response.text  # the expert's view shows the line too
    assert textarea_text(response.text, "rules") == draft  # the draft is kept, as typed
    versions = (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    assert len(versions) == 1  # nothing is published by a preview


async def test_invalid_rules_show_in_the_error_summary_and_keep_the_text(world: Any) -> None:
    await sign_in(world, "lm_lead")
    astronaut = "p, r:astronaut, low-moss, health, read, partnership, no_consent"
    bad = (await live_rules(world)) + "\n" + astronaut + "\n"
    for action in ("preview", "publish"):
        response = await form_post(
            world,
            f"{PAGES}/protocol/rules",
            {"rules": bad, "action": action, "reason": "Add astronauts"},
        )
        assert response.status_code == 400, action
        assert "govuk-error-summary" in response.text
        assert 'href="#rules"' in response.text
        assert 'id="rules-error"' in response.text
        assert "astronaut" in response.text.split('id="rules-error"')[1].split("</p>")[0]
        assert textarea_text(response.text, "rules") == bad
        assert ">Add astronauts</textarea>" in response.text
    versions = (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    assert len(versions) == 1


async def test_publishing_needs_a_reason(world: Any) -> None:
    await sign_in(world, "lm_lead")
    draft = (await live_rules(world)) + "\n" + NEW_RULE + "\n"
    response = await form_post(
        world, f"{PAGES}/protocol/rules", {"rules": draft, "action": "publish", "reason": "x"}
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
        f"{PAGES}/protocol/rules",
        {"rules": draft, "action": "publish", "reason": "Tidy up"},
    )
    assert response.status_code == 400
    assert "would stop you managing the protocol" in response.text
    assert 'href="#rules"' in response.text
    assert textarea_text(response.text, "rules") == draft
    assert ">Tidy up</textarea>" in response.text
    assert len((await world.get("lm_lead", f"{LM}/protocol/versions")).json()) == 1


async def test_publishing_changes_what_others_see_and_history_says_it_in_words(
    world: Any,
) -> None:
    await set_threshold(world, 1.0)  # this test is not about the second lead
    person = await add_person(world, "Lorna", "Healey", "LM200002")
    sacro_before = await world.get("lm_sacro", f"{LM}/persons/{person}")
    assert "health" in sacro_before.json()["restricted"]
    await sign_in(world, "lm_lead")
    draft = (await live_rules(world)) + "\n" + NEW_RULE + "\n"
    response = await form_post(
        world,
        f"{PAGES}/protocol/rules",
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
    assert "1 change to who can see what" in diff.text
    assert "can now read Health for everyone in the partnership" in diff.text
    assert rule_syntax(diff.text) == [] and rule_syntax(history.text) == []
    back = await world.client.get(f"{PAGES}/protocol/diff?from_version=2&to_version=1")
    assert "read Health for people they are assigned to, with consent, instead of" in back.text
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
    params = {"user": str(sacro_id), "person": "lm200003", "category": "health"}
    answer = await world.client.get(f"{PAGES}/protocol/explain", params=params)
    assert answer.status_code == 200, answer.text
    assert "Not allowed" in answer.text
    # Sacro's case worker is not the person's key worker: the rule's scope is the reason.
    assert "only for people they are key worker for or allocated to" in answer.text
    assert "No closer link than being in the same partnership" in answer.text
    assert rule_syntax(answer.text) == []
    identity = await world.client.get(
        f"{PAGES}/protocol/explain", params={**params, "category": "identity"}
    )
    assert "Allowed" in identity.text
    assert "Case workers (Sacro and Turning Point Scotland) can read Identity for everyone" in (
        identity.text
    )
    assert rule_syntax(identity.text) == []
    wrong = await world.client.get(
        f"{PAGES}/protocol/explain",
        params={"user": "nobody", "person": "XX0", "category": "health", "action": "read"},
    )
    assert wrong.status_code == 400
    assert 'href="#user"' in wrong.text and 'href="#person"' in wrong.text
    assert 'value="XX0"' in wrong.text


async def test_publishing_tells_the_other_processes(world: Any, monkeypatch: Any) -> None:
    told: list[tuple[Any, ...]] = []

    async def fake_announce(redis_url: str | None, tenant_id: Any, version: int) -> None:
        told.append((redis_url, tenant_id, version))

    monkeypatch.setattr("core.web.protocol.common.announce", fake_announce)
    await set_threshold(world, 1.0)
    await sign_in(world, "lm_lead")
    draft = (await live_rules(world)) + "\n" + NEW_RULE + "\n"
    response = await form_post(
        world,
        f"{PAGES}/protocol/rules",
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
