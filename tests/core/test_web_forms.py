"""The one form flow: forms offered only when they can be sent, refusals that keep what was
typed, and plain words (no rule syntax) on every page a worker reads."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec
import pytest
from litestar.exceptions import HTTPException
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.authz.access import Relation, explain
from core.db.engine import make_engine, make_session_factory
from core.outcomes.models import DOMAINS
from core.web.forms import FormErrors, save_form
from core.web.record import join_words, withheld_notice
from tests.core.test_web import LM, PAGES, add_person, csrf_from, sign_in

# Casbin rule text as the protocol stores it: "r:case_worker, ..." or "k:nhs, ...".
RULE_SYNTAX = re.compile(r"\b[rko]:[a-z_]+,|rule '")


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def denials(world: Any) -> list[AuditEvent]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            stmt = select(AuditEvent).where(AuditEvent.action == "deny").order_by(AuditEvent.at)
            return list((await session.scalars(stmt)).all())
    finally:
        await engine.dispose()


def review_fields(notes: str) -> dict[str, str]:
    today = date.today()
    return {
        "reviewed_on-day": str(today.day),
        "reviewed_on-month": str(today.month),
        "reviewed_on-year": str(today.year),
        "setting": "prison",
        "notes": notes,
        # A different score per domain, so each one kept is seen to be kept.
        **{domain: str(score) for score, domain in enumerate(DOMAINS, start=2)},
    }


def links(html: str) -> set[str]:
    return set(re.findall(r'href="/t/[^"]+/persons/[0-9a-f-]{36}(/[a-z/-]+)"', html))


async def test_a_form_is_offered_only_when_it_can_be_sent(world: Any) -> None:
    # Sacro's case worker may write case notes somewhere in the protocol, but not for
    # this person: the outcome-review and referral forms would only be refused.
    person_id = await add_person(world, "Offered", "Forms", "OF10001")
    await sign_in(world, "lm_sacro")
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert page.status_code == 200
    assert "/reviews/new" not in links(page.text)
    assert "/referrals/new" not in links(page.text)
    # The case worker who works with the person is offered both.
    world.client.cookies.clear()
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert {"/reviews/new", "/referrals/new"} <= links(page.text)


async def test_a_refused_review_keeps_every_typed_value_and_speaks_plainly(world: Any) -> None:
    # As if the protocol changed while the form was open: the write is refused, the
    # same form comes back with what was typed and a plain reason in the error summary.
    person_id = await add_person(world, "Kept", "Values", "KV10001")
    await sign_in(world, "lm_sacro")
    url = f"{PAGES}/persons/{person_id}/reviews/new"
    blank = await world.client.get(url)
    assert blank.status_code == 200
    notes = "Talked through the move to the hostel at length"
    sent = await world.client.post(
        url, data={**review_fields(notes), "_csrf_token": csrf_from(blank.text)}
    )
    assert sent.status_code == 400, sent.text[:500]
    assert "govuk-error-summary" in sent.text
    assert notes in sent.text
    for score, domain in enumerate(DOMAINS, start=2):
        assert f'name="{domain}" type="radio" value="{score}" checked' in sent.text, domain
    assert 'value="prison" checked' in sent.text
    assert 'name="reviewed_on-year"' in sent.text and str(date.today().year) in sent.text
    assert "only for people" in sent.text
    assert not RULE_SYNTAX.search(sent.text)
    # The rule stays where the lead looks for it: the audited denial.
    (denial,) = await denials(world)
    assert denial.detail["action"] == "write" and denial.detail["rule"]
    assert not RULE_SYNTAX.search(denial.detail["reason"])
    reviews = await world.get("lm_worker", f"{LM}/outcome-reviews?person_id={person_id}")
    assert reviews.json()["items"] == []


async def test_the_403_page_quotes_no_rule(world: Any) -> None:
    person_id = await add_person(world, "Plain", "Refusal", "PR10001")
    referral = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": person_id, "source": "self"}
    )
    episode_id = referral.json()["episode_id"]
    await sign_in(world, "lm_nurse")
    page = await world.client.get(f"{PAGES}/persons/{person_id}/episodes/{episode_id}/phase")
    assert page.status_code == 403
    assert "only for people their organisation works with" in page.text
    assert not RULE_SYNTAX.search(page.text)
    assert ".." not in page.text.split("<h1")[1]


async def test_withheld_parts_get_one_notice_naming_whom_to_ask(world: Any) -> None:
    person_id = await add_person(world, "One", "Notice", "ON10001")
    await sign_in(world, "lm_nurse")
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert page.status_code == 200
    assert page.text.count('id="withheld-notice"') == 1
    assert page.text.count("under this partnership's information-sharing protocol") == 1
    notice = page.text[page.text.index('id="withheld-notice"') :].split("</div>")[0]
    assert "outcome reviews, consent records, referral history and work filed under" in notice
    assert "case notes." in notice and "Case notes" not in notice
    assert "Outcome reviews are not shared with your organisation." in page.text
    assert "Outcome reviews is not shared" not in page.text
    # The nurse may not see who the key worker is, so the notice names no one.
    assert "ask your partnership lead" in notice


def test_the_notice_names_the_key_workers_organisation_when_known() -> None:
    shown = {"plan": True, "outcomes": False, "consents": False, "referrals": True}
    notice = withheld_notice(shown, ["health", "substance_use"], "Turning Point Scotland")
    assert notice == {
        "summary": "outcome reviews, consent records and work filed under health and substance use",
        "contact": "Turning Point Scotland",
    }
    assert withheld_notice(dict.fromkeys(shown, True), [], None) is None
    assert join_words(["a", "b", "c"]) == "a, b and c" and join_words(["a"]) == "a"


def test_a_refusal_reason_names_no_rule_but_the_decision_keeps_it() -> None:
    from core.authz.enforcer import Grant

    grant = Grant("assigned", False, "r:case_worker, case_notes, write, assigned, no_consent")
    stranger = Relation("partnership", frozenset(), frozenset())
    decision = explain((grant,), "case_notes", "write", stranger)
    assert not decision.allowed
    assert decision.nearest_rule == grant.rule
    assert "case_worker" not in decision.reason and "rule" not in decision.reason


class Body(msgspec.Struct):
    name: str


class Refusing:
    """A service that says no in each way a form must survive."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def create(self, data: Body) -> None:
        raise HTTPException(status_code=self.status, detail="Not allowed for this person.")


class FakeSession:
    """Only what the flow asks of a session: to roll back a refused write."""

    rolled_back = False

    async def rollback(self) -> None:
        self.rolled_back = True


@pytest.mark.parametrize("status", [403, 409, 422])
async def test_save_form_turns_every_refusal_into_an_error(status: int) -> None:
    session: Any = FakeSession()
    errors = FormErrors()
    save = Refusing(status).create
    saved = await save_form(session, {"name": "typed"}, Body, errors, {}, save, "name")
    assert saved is False and session.rolled_back
    assert list(errors) == ["name"] and errors["name"].startswith("Not allowed for this person")


async def test_save_form_lets_a_404_through() -> None:
    session: Any = FakeSession()
    with pytest.raises(HTTPException):
        await save_form(session, {"name": "x"}, Body, FormErrors(), {}, Refusing(404).create, "n")


async def test_save_form_sends_nothing_when_the_handler_found_errors() -> None:
    session: Any = FakeSession()
    called: list[Body] = []

    async def save(data: Body) -> None:
        called.append(data)

    errors = FormErrors()
    errors.add("other", "Enter something")
    assert not await save_form(session, {"name": "x"}, Body, errors, {}, save, "name")
    bad = FormErrors()
    assert not await save_form(session, {"name": 3}, Body, bad, {"name": "Enter a name"}, save, "n")
    assert bad == {"name": "Enter a name"} and called == []
    assert await save_form(session, {"name": "ok"}, Body, FormErrors(), {}, save, "name")
    assert called == [Body("ok")]
