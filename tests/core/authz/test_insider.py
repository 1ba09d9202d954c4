"""A hostile insider's attempts (issue 13): access comes only from the partnership's
decisions, never from a worker's own write, an organisation-kind line, their own review,
or what a refusal gives away."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.accounts.services import issue_token
from core.audit.models import AuditEvent
from core.authz.models import PersonAssignment, PersonOrganisation
from core.db.engine import make_engine, make_session_factory

T = "/api/v1/t"
LM = f"{T}/low-moss"
HP = f"{T}/hmp-perth"


@asynccontextmanager
async def db(world) -> AsyncIterator[AsyncSession]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def add_member(world, username: str, tenant: str, org: str, roles: list[str]) -> None:
    """A member beyond the shared world (e.g. in HMP Perth), with a bearer token."""
    async with db(world) as session:
        user = User(
            username=username,
            display_name=username.replace("_", " ").title(),
            password_hash=world.users["lm_worker"].password_hash,
        )
        session.add(user)
        await session.flush()
        session.add(
            Membership(
                tenant_id=world.tenants[tenant].id,
                user_id=user.id,
                organisation_id=world.organisations[(tenant, org)].id,
                roles=roles,
            )
        )
        issued = await issue_token(session, user, world.settings.security)
        await session.commit()
        world.tokens[username] = issued.token
        world.users[username] = user


async def make_person(world, user: str = "lm_worker", tenant: str = "low-moss", **body) -> str:
    person = {
        "given_name": "Jamie",
        "family_name": f"Case{uuid.uuid4().hex[:6]}",
        "date_of_birth": "1988-07-14",
        **body,
    }
    response = await world.post(user, f"{T}/{tenant}/persons", person)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def make_episode(world, person: str, user: str = "lm_worker", base: str = LM) -> str:
    response = await world.post(user, f"{base}/referrals", {"person_id": person, "source": "self"})
    assert response.status_code == 201, response.text
    return response.json()["episode_id"]


async def relations(world, person: str) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    async with db(world) as session:
        orgs = await session.scalars(
            select(PersonOrganisation.organisation_id).where(
                PersonOrganisation.person_id == uuid.UUID(person)
            )
        )
        users = await session.scalars(
            select(PersonAssignment.user_id).where(PersonAssignment.person_id == uuid.UUID(person))
        )
        return set(orgs.all()), set(users.all())


async def audit_rows(world, **where: Any) -> list[AuditEvent]:
    async with db(world) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.at)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list((await session.scalars(stmt)).all())


def yesterday() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).isoformat()


# ---- 1. a record written makes no relation ---------------------------------------------


async def test_logging_family_work_gains_a_worker_nothing_more(world):
    person = await make_person(world)
    sacro = uuid.UUID(world.org_id("low-moss", "sacro"))
    consent = await world.post(
        "lm_worker",
        f"{LM}/persons/{person}/consents",
        {
            "category": "family",
            "recipient_organisation_id": str(sacro),
            "purpose": "Family support",
            "lawful_basis": "consent",
        },
    )
    assert consent.status_code == 201, consent.text
    url = f"{LM}/persons/{person}"
    before = (await world.get("lm_sacro", url)).json()
    assert "case_notes" in before["restricted"] and "risk" in before["restricted"]

    logged = await world.post(
        "lm_sacro",
        f"{LM}/family-support/persons/{person}/sessions",
        {"kind": "phone", "occurred_at": yesterday()},
    )
    assert logged.status_code == 201, logged.text

    after = (await world.get("lm_sacro", url)).json()
    assert after["restricted"] == before["restricted"]
    assert sacro not in (await relations(world, person))[0]


async def test_an_accepted_referral_is_a_recorded_and_audited_decision(world):
    person = await make_person(world)
    sacro = world.org_id("low-moss", "sacro")
    made = await world.post(
        "lm_worker",
        f"{LM}/referrals",
        {"person_id": person, "source": "self", "referring_organisation_id": sacro},
    )
    assert made.status_code == 201, made.text
    # Recording the referral is no decision: the referrer gains nothing yet.
    assert uuid.UUID(sacro) not in (await relations(world, person))[0]
    # A prison officer may write case notes partnership-wide but may not allocate.
    refused = await world.post(
        "lm_officer", f"{LM}/referrals/{made.json()['id']}/decision", {"decision": "full_support"}
    )
    assert refused.status_code == 403, refused.text
    accepted = await world.post(
        "lm_worker",
        f"{LM}/referrals/{made.json()['id']}/decision",
        {"decision": "full_support", "notes": "Sacro to carry on the mentoring"},
    )
    assert accepted.status_code == 200, accepted.text
    async with db(world) as session:
        row = await session.get(
            PersonOrganisation,
            (world.tenants["low-moss"].id, uuid.UUID(sacro), uuid.UUID(person)),
        )
        assert row is not None and row.reason == "referral_accepted"
        assert row.decided_by == world.users["lm_worker"].id
        assert row.decision_note == "Sacro to carry on the mentoring"
    decided = await audit_rows(world, action="decide", person_id=uuid.UUID(person))
    assert [e.detail["organisation_id"] for e in decided][-1] == sacro
    assert (
        "case_notes" in (await world.get("lm_sacro", f"{LM}/persons/{person}")).json()["readable"]
    )


# ---- 2. nobody makes themself key worker -----------------------------------------------


async def test_a_worker_cannot_make_themself_key_worker(world):
    person = await make_person(world)
    episode = await make_episode(world, person)
    url = f"{LM}/episodes/{episode}"
    me = str(world.users["lm_worker"].id)

    refused = await world.patch("lm_worker", url, {"key_worker_id": me})
    assert refused.status_code == 403, refused.text
    assert "allocate yourself" in refused.json()["detail"]
    assert world.users["lm_worker"].id not in (await relations(world, person))[1]
    denials = await audit_rows(world, action="deny", user_id=world.users["lm_worker"].id)
    assert denials[-1].record_type == "self_allocation"
    assert (await world.get("lm_worker", url)).json()["key_worker_id"] is None

    # Someone who may write the episode but not allocate: refused either way.
    sacro_worker = str(world.users["lm_sacro"].id)
    officer = await world.patch("lm_officer", url, {"key_worker_id": sacro_worker})
    assert officer.status_code == 403, officer.text
    sps = world.org_id("low-moss", "sps-low-moss")
    assert (await world.patch("lm_officer", url, {"lead_organisation_id": sps})).status_code == 403

    # Allocating someone else is the worker's to decide; the lead may allocate themself.
    other = await world.patch("lm_worker", url, {"key_worker_id": sacro_worker})
    assert other.status_code == 200, other.text
    lead = await world.patch("lm_lead", url, {"key_worker_id": str(world.users["lm_lead"].id)})
    assert lead.status_code == 200, lead.text
    assert world.users["lm_lead"].id in (await relations(world, person))[1]
    decided = await audit_rows(world, action="decide", record_type="person_assignment")
    assert {e.user_id for e in decided} == {world.users["lm_worker"].id, world.users["lm_lead"].id}


# ---- 3. an organisation-kind line never reaches a restricted role ----------------------


async def test_an_nhs_analyst_reads_no_case_data_through_the_kind_line(world):
    await add_member(world, "hp_officer", "hmp-perth", "sps-perth", ["prison_officer"])
    await add_member(world, "hp_analyst", "hmp-perth", "nhs-tayside", ["analyst"])
    await add_member(world, "hp_nurse", "hmp-perth", "nhs-tayside", ["nhs_nurse"])
    person = await make_person(world, "hp_officer", "hmp-perth", prison_number="P123456")
    await make_episode(world, person, "hp_officer", HP)
    logged = await world.post(
        "hp_officer",
        f"{HP}/interventions",
        {
            "person_id": person,
            "kind": "one_to_one",
            "setting": "prison",
            "occurred_at": yesterday(),
            "notes": "Spoke about the visit",
        },
    )
    assert logged.status_code == 201, logged.text

    for path in ("interventions", "assessments", "referrals", "persons", "episodes"):
        listed = await world.get("hp_analyst", f"{HP}/{path}")
        assert listed.status_code == 200 and listed.json()["items"] == [], (path, listed.text)
    assert (await world.get("hp_analyst", f"{HP}/persons/{person}")).status_code == 404
    # The same line still reaches the analyst's colleague the protocol means it for.
    assert len((await world.get("hp_nurse", f"{HP}/interventions")).json()["items"]) == 1


async def test_preview_warns_when_a_kind_line_would_reach_a_restricted_role(world):
    await add_member(world, "hp_lead", "hmp-perth", "sps-perth", ["partnership_lead"])
    await add_member(world, "hp_analyst", "hmp-perth", "nhs-tayside", ["analyst"])
    live = (await world.get("hp_lead", f"{HP}/protocol")).json()["rules"]
    preview = await world.post("hp_lead", f"{HP}/protocol/preview", {"rules": live})
    assert preview.status_code in (200, 201), preview.text
    warnings = preview.json()["warnings"]
    assert any("k:nhs, health, read" in w and "analyst" in w for w in warnings), warnings
    assert not any(w.startswith("'k:prison") for w in warnings)


# ---- 4. meetings are case data ---------------------------------------------------------


async def test_the_analyst_reads_no_meeting(world):
    meeting = await world.post("lm_lead", f"{LM}/meetings", {"kind": "daily"})
    assert meeting.status_code == 201, meeting.text
    attendee = await world.post(
        "lm_lead",
        f"{LM}/meetings/{meeting.json()['id']}/attendees",
        {"name": "Dr Example", "organisation_id": world.org_id("low-moss", "nhs-ggc")},
    )
    assert attendee.status_code == 201, attendee.text
    for url in (
        f"{LM}/meetings",
        f"{LM}/meetings/{meeting.json()['id']}",
        f"{LM}/meetings/agenda",
    ):
        response = await world.get("lm_analyst", url)
        assert response.status_code == 403, (url, response.text)
        assert "Dr Example" not in response.text
    assert (await world.get("lm_worker", f"{LM}/meetings")).status_code == 200


# ---- 5. a break-glass review is someone else's -----------------------------------------


async def test_a_lead_cannot_review_their_own_break_glass(world):
    await add_member(world, "lm_lead2", "low-moss", "turning-point-scotland", ["partnership_lead"])
    person = await make_person(world)
    opened = await world.post(
        "lm_lead",
        f"{LM}/break-glass",
        {"person_id": person, "category": "health", "reason": "Collapsed on the hall"},
    )
    assert opened.status_code == 201, opened.text
    review = f"{LM}/break-glass/{opened.json()['id']}/review"
    own = await world.post("lm_lead", review, {"note": "Fine"})
    assert own.status_code == 403, own.text
    assert "another lead must review it" in own.json()["detail"]
    queue = (await world.get("lm_lead2", f"{LM}/break-glass")).json()
    assert [g["id"] for g in queue] == [opened.json()["id"]]
    other = await world.post("lm_lead2", review, {"note": "Justified"})
    assert other.status_code in (200, 201), other.text
    assert other.json()["reviewed_by"] == str(world.users["lm_lead2"].id)


# ---- 6. refusals give nothing away -----------------------------------------------------


async def test_creating_a_person_answers_403_whether_or_not_the_number_exists(world):
    await make_person(world, prison_number="A1234BC")
    base = {"given_name": "Sam", "family_name": "Other", "date_of_birth": "1990-01-01"}
    for who in ("lm_nurse", "lm_analyst"):
        taken = await world.post(who, f"{LM}/persons", base | {"prison_number": "A1234BC"})
        free = await world.post(who, f"{LM}/persons", base | {"prison_number": "Z9999ZZ"})
        assert (taken.status_code, taken.json()) == (free.status_code, free.json())
        assert taken.status_code == 403
    # Someone who may register people still hears of the clash.
    clash = await world.post("lm_worker", f"{LM}/persons", base | {"prison_number": "A1234BC"})
    assert clash.status_code == 409


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def test_an_invisible_person_costs_what_a_random_id_costs(world):
    person = await make_person(world)
    hidden, random = f"{LM}/persons/{person}", f"{LM}/persons/{uuid.uuid4()}"
    # Warm the analyst's enforcer and caches, so both counts are of the lookup alone.
    await world.get("lm_analyst", random)
    answers, counts = [], []
    for url in (hidden, random, hidden, random):
        with counting_statements() as seen:
            response = await world.get("lm_analyst", url)
        answers.append((response.status_code, response.json()))
        counts.append(len(seen))
    assert answers[0][0] == 404
    assert all(answer == answers[0] for answer in answers), answers
    assert counts[0] == counts[1] and counts[2] == counts[3], counts
