"""The record page's part of the worker's day (issue 12): consent withdrawn with a reason and
given again, the release checklist as a task list, self-closing countdown and consent
tasks, the assessment tag on the moved clock, and who to contact shown to a nurse."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from core import clock
from core.audit.models import AuditEvent
from core.episodes.models import Episode
from core.hooktypes import ChecklistItem
from core.jobs import reminders
from core.notifications.models import Notification
from core.notifications.resolve import close_settled
from core.notifications.services import notify
from core.persons.checklist import (
    CANNOT_START,
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    item_status,
)
from core.referrals.models import Referral
from core.tenancy.models import Tenant
from tests.core.test_consents import db
from tests.core.test_web import LM, PAGES, add_person, csrf_from, form_post, sign_in

CONSENT = {
    "category": "health",
    "recipient": "kind:third_sector",
    "purpose": "Continuity of care",
    "lawful_basis": "consent",
}


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


def record_url(person_id: str) -> str:
    return f"{PAGES}/persons/{person_id}"


async def consents(world: Any, person_id: str) -> list[dict[str, Any]]:
    response = await world.get("lm_worker", f"{LM}/persons/{person_id}/consents")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.find("</section>", start)]


# -- consent: withdrawn through a confirmation page, with a reason; given again -------------


async def test_withdrawing_consent_asks_for_a_reason_and_the_record_shows_it(world: Any) -> None:
    person_id = await add_person(world, "Wendy", "Withdraws", "WD10001")
    await sign_in(world, "lm_worker")
    saved = await form_post(world, f"{record_url(person_id)}/consents/new", CONSENT)
    assert saved.status_code in (302, 303), saved.text
    page = await world.client.get(record_url(person_id))
    # The record links to a confirmation page; it no longer withdraws in one press.
    consent_id = re.search(r"/consents/([0-9a-f-]{36})/withdraw\"", page.text).group(1)
    assert 'method="post" action="/t/low-moss/persons/' + person_id + "/consents/" not in page.text
    url = f"{record_url(person_id)}/consents/{consent_id}/withdraw"
    confirm = await world.client.get(url)
    assert confirm.status_code == 200
    assert "Withdraw consent to share" in confirm.text and "Continuity of care" in confirm.text

    # No reason: nothing withdrawn, the page comes back with the error beside the field.
    blank = await world.client.post(
        url, data={"reason": "   ", "_csrf_token": csrf_from(confirm.text)}
    )
    assert blank.status_code == 400
    assert 'href="#reason"' in blank.text and "Enter why consent is being withdrawn" in blank.text
    assert (await consents(world, person_id))[0]["withdrawn_at"] is None

    reason = "Said on the wing she no longer wants the nurse told"
    done = await world.client.post(
        url, data={"reason": reason, "_csrf_token": csrf_from(confirm.text)}
    )
    assert done.status_code in (302, 303), done.text
    [row] = await consents(world, person_id)
    assert row["withdrawn_at"] is not None and row["withdrawal_reason"] == reason
    async with db(world) as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "withdraw", AuditEvent.record_id == uuid.UUID(consent_id)
            )
        )
        assert event is not None and event.detail["reason"] == reason

    # The record says who withdrew it, when and why, and offers to record it again.
    shown = section((await world.client.get(record_url(person_id))).text, "consent")
    assert "By Lm Worker on" in shown and reason in shown
    assert f"/consents/new?again={consent_id}" in shown
    # A second withdrawal is refused beside the field, not with an error page.
    again = await world.client.post(
        url, data={"reason": "x", "_csrf_token": csrf_from(confirm.text)}
    )
    assert again.status_code == 409 or again.status_code == 400
    assert "already been withdrawn" in again.text


async def test_a_withdrawn_consent_is_given_again_as_a_new_consent(world: Any) -> None:
    person_id = await add_person(world, "Gail", "Givesagain", "GA10001")
    await sign_in(world, "lm_worker")
    await form_post(world, f"{record_url(person_id)}/consents/new", CONSENT)
    consent_id = (await consents(world, person_id))[0]["id"]
    url = f"{record_url(person_id)}/consents/{consent_id}/withdraw"
    withdrawn = await form_post(world, url, {"reason": "Changed her mind"})
    assert withdrawn.status_code in (302, 303)

    form = await world.client.get(f"{record_url(person_id)}/consents/new?again={consent_id}")
    assert form.status_code == 200 and "Record consent to share again" in form.text
    # Filled in from the withdrawn consent, so the worker checks rather than retypes.
    assert "Continuity of care" in form.text
    assert re.search(r'value="kind:third_sector"\s+selected', form.text)
    regiven = await world.client.post(
        f"{record_url(person_id)}/consents/new",
        data={**CONSENT, "_csrf_token": csrf_from(form.text)},
    )
    assert regiven.status_code in (302, 303), regiven.text
    rows = await consents(world, person_id)
    # History is never edited: the withdrawn row stays, a new one is in force.
    assert sorted(bool(r["withdrawn_at"]) for r in rows) == [False, True]
    assert [r["active"] for r in rows if not r["withdrawn_at"]] == [True]
    shown = section((await world.client.get(record_url(person_id))).text, "consent")
    assert "Record consent again" not in shown and "Changed her mind" in shown


async def test_the_withdrawal_page_is_not_offered_to_who_cannot_withdraw(world: Any) -> None:
    person_id = await add_person(world, "Nora", "Notoffered", "NO10001")
    await sign_in(world, "lm_worker")
    await form_post(world, f"{record_url(person_id)}/consents/new", CONSENT)
    consent_id = (await consents(world, person_id))[0]["id"]
    world.client.cookies.clear()
    await sign_in(world, "lm_sacro")
    page = await world.client.get(f"{record_url(person_id)}/consents/{consent_id}/withdraw")
    assert page.status_code in (403, 404)
    assert "Why is consent being withdrawn" not in page.text
    assert (await consents(world, person_id))[0]["withdrawn_at"] is None


# -- the release checklist as a task list --------------------------------------------------


def line(key: str, done: bool = False, detail: str | None = None) -> ChecklistItem:
    return ChecklistItem(key=key, label=key, done=done, category="x", detail=detail)


def test_each_checklist_line_has_a_task_list_status() -> None:
    day = date(2027, 1, 5)
    assert item_status(line("housing", done=True), day, True) == COMPLETED
    assert item_status(line("housing", detail="Referral made"), day, True) == IN_PROGRESS
    assert item_status(line("housing", detail="No housing record"), day, True) == NOT_STARTED
    assert item_status(line("naloxone"), day, True) == NOT_STARTED
    assert item_status(line("plan_handover", detail="No recovery plan yet"), day, True) == (
        CANNOT_START
    )
    # Everything waits on the liberation date, except the line that records it.
    assert item_status(line("naloxone"), None, True) == CANNOT_START
    assert item_status(line("liberation_date"), None, True) == NOT_STARTED
    # Custody not shared: the viewer is not told the date is missing.
    assert item_status(line("naloxone"), None, False) == NOT_STARTED


async def test_the_release_checklist_is_on_the_record_as_a_task_list(world: Any) -> None:
    release = clock.today() + timedelta(days=30)
    person_id = await add_person(
        world, "Rhona", "Releases", "RC10001", liberation_date=release.isoformat()
    )
    undated = await add_person(world, "Una", "Undated", "RC10002")
    await sign_in(world, "lm_worker")
    page = await world.client.get(record_url(person_id))
    assert page.status_code == 200
    checklist = section(page.text, "checklist")
    assert 'class="govuk-task-list"' in checklist
    liberation = checklist[checklist.index("Liberation date known") - 300 :][:900]
    # Done, and linked to the form that changes it (the worker may write custody).
    assert f"/persons/{person_id}/liberation" in liberation and "Completed" in liberation
    assert "Not started" in checklist or "Cannot start yet" in checklist
    # Nobody gets ready for a release with no date.
    assert 'id="checklist"' not in (await world.client.get(record_url(undated))).text

    own = await world.client.get(f"{record_url(person_id)}/release-checklist")
    assert own.status_code == 200 and '<h1 class="govuk-heading-l">Release checklist' in own.text
    assert 'class="govuk-task-list"' in own.text
    # A viewer who may not change custody sees the line and its status, without the link.
    world.client.cookies.clear()
    await sign_in(world, "lm_nurse")
    nurse = await world.client.get(f"{record_url(person_id)}/release-checklist")
    assert nurse.status_code == 200
    assert f"/persons/{person_id}/liberation" not in nurse.text


# -- tasks that close themselves -----------------------------------------------------------


async def countdown(world: Any, person_id: str, day: date) -> str:
    key = f"liberation:{person_id}:{day}:28"
    async with db(world) as session:
        await notify(
            session,
            world.tenants["low-moss"].id,
            [world.users["lm_worker"].id],
            kind="liberation_countdown",
            title="Liberation within 4 weeks",
            link=None,
            key=key,
            due_date=day,
            person_id=uuid.UUID(person_id),
        )
        await session.commit()
    return key


async def is_open(world: Any, key: str) -> bool:
    async with db(world) as session:
        await close_settled(session, world.tenants["low-moss"].id)
        await session.commit()
        done = await session.scalar(select(Notification.done_at).where(Notification.key == key))
        return done is None


async def only_core_checklist(world: Any) -> None:
    # The partnership with no plugins switched on: its checklist is core's two lines.
    async with db(world) as session:
        tenant = await session.get(Tenant, world.tenants["low-moss"].id)
        await session.execute(
            update(Tenant)
            .where(Tenant.id == tenant.id)
            .values(config={**tenant.config, "plugins": []})
        )
        await session.commit()


async def test_the_liberation_countdown_closes_once_the_checklist_is_complete(
    world: Any,
) -> None:
    from tests.core.test_plans import give_consent, make_plan

    await only_core_checklist(world)
    release = clock.today() + timedelta(days=20)
    plan = await make_plan(world)
    person_id = plan["person_id"]
    patched = await world.patch(
        "lm_worker", f"{LM}/persons/{person_id}", {"liberation_date": release.isoformat()}
    )
    assert patched.status_code == 200, patched.text
    key = await countdown(world, person_id, release)
    assert await is_open(world, key)  # no handover yet: still work to do
    community = world.org_id("low-moss", "alternatives-wd")
    await give_consent(world, person_id, recipient_organisation_id=community)
    handed = await world.post(
        "lm_worker", f"{LM}/plans/{plan['id']}/handover", {"organisation_id": community}
    )
    assert handed.status_code == 200, handed.text
    assert not await is_open(world, key)
    # And the job reminds nobody of a release that is ready.
    async with db(world) as session:
        tenant = await session.get(Tenant, world.tenants["low-moss"].id)
        due = await reminders.liberation_reminders(session, tenant, clock.today())
    assert all(r.person_id != uuid.UUID(person_id) for r in due)


async def test_a_countdown_for_a_date_that_moved_closes(world: Any) -> None:
    release = clock.today() + timedelta(days=20)
    person_id = await add_person(
        world, "Moira", "Moved", "MV10001", liberation_date=release.isoformat()
    )
    key = await countdown(world, person_id, release)
    assert await is_open(world, key)
    later = release + timedelta(days=10)
    await world.patch(
        "lm_worker", f"{LM}/persons/{person_id}", {"liberation_date": later.isoformat()}
    )
    assert not await is_open(world, key)


async def test_a_consent_expiry_task_closes_once_consent_is_renewed(world: Any) -> None:
    person_id = await add_person(world, "Carla", "Renews", "CR10001")
    body = {
        "category": "health",
        "purpose": "Continuity of care",
        "lawful_basis": "consent",
        "recipient_kind": "third_sector",
    }
    url = f"{LM}/persons/{person_id}/consents"
    soon = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    old = (await world.post("lm_worker", url, {**body, "expires_at": soon})).json()
    key = f"consent-expiry:{old['id']}:{old['expires_at']}"
    async with db(world) as session:
        await notify(
            session,
            world.tenants["low-moss"].id,
            [world.users["lm_worker"].id],
            kind="consent_expiry",
            title="Consent to share expires soon",
            link=None,
            key=key,
            due_date=None,
            person_id=uuid.UUID(person_id),
        )
        await session.commit()
    # A consent for something else renews nothing.
    other = await world.post("lm_worker", url, {**body, "category": "housing"})
    assert other.status_code == 201, other.text
    assert await is_open(world, key)
    renewed = await world.post("lm_worker", url, body)
    assert renewed.status_code == 201, renewed.text
    assert not await is_open(world, key)


# -- the record's dates come from core.clock -----------------------------------------------


async def test_the_assessment_tag_and_liberation_flag_read_the_moved_clock(world: Any) -> None:
    release = clock.today() + timedelta(days=40)
    person_id = await add_person(
        world, "Clara", "Clock", "CK10001", liberation_date=release.isoformat()
    )
    due = clock.today() + timedelta(days=5)
    async with db(world) as session:
        episode = Episode(
            tenant_id=world.tenants["low-moss"].id,
            person_id=uuid.UUID(person_id),
            phase="assessment",
        )
        session.add(episode)
        await session.flush()
        session.add(
            Referral(
                tenant_id=world.tenants["low-moss"].id,
                person_id=uuid.UUID(person_id),
                episode_id=episode.id,
                source="self",
                received_at=datetime.now(UTC),
                assessment_due_on=due,
            )
        )
        await session.commit()
    await sign_in(world, "lm_worker")
    now = (await world.client.get(record_url(person_id))).text
    assert "Initial assessment due" in now and "overdue" not in now.split("<h1")[1][:2000]
    with clock.moved(to=due + timedelta(days=3)):
        later = (await world.client.get(record_url(person_id))).text
    assert "Initial assessment overdue" in later
    with clock.moved(to=release - timedelta(days=7)):
        week_before = (await world.client.get(record_url(person_id))).text
    assert "Liberation in 7 days" in week_before


# -- who to contact --------------------------------------------------------------------------


async def test_a_nurse_sees_who_the_key_worker_is_and_whom_to_ask(world: Any) -> None:
    person_id = await add_person(world, "Kirsty", "Keyworked", "KW10001")
    async with db(world) as session:
        session.add(
            Episode(
                tenant_id=world.tenants["low-moss"].id,
                person_id=uuid.UUID(person_id),
                phase="assessment",
                key_worker_id=world.users["lm_sacro"].id,
                lead_organisation_id=uuid.UUID(world.org_id("low-moss", "sacro")),
            )
        )
        await session.commit()
    await sign_in(world, "lm_nurse")
    page = await world.client.get(record_url(person_id))
    assert page.status_code == 200
    summary = page.text[page.text.index("Key worker</dt>") :][:600]
    assert "Lm Sacro" in summary and "Not shared" not in summary
    lead = page.text[page.text.index("Lead organisation</dt>") :][:300]
    assert "Sacro" in lead and "Not shared" not in lead
    notice = page.text[page.text.index('id="withheld-notice"') :].split("</div>")[0]
    assert "contact Sacro, the key worker&#39;s organisation" in notice or (
        "contact Sacro, the key worker's organisation" in notice
    )
    # The phase is case notes: still not shared with the nurse.
    phase = page.text[page.text.index("Phase</dt>") :][:300]
    assert "Not shared with your organisation" in phase
