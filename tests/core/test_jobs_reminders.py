"""Core's reminder jobs, called with a small ctx while the clock is moved: who is reminded,
of what, when, and that a job run twice (or every hour) notifies once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.assessments.models import Assessment
from core.consents.models import Consent
from core.db.engine import make_engine, make_session_factory
from core.episodes.models import Episode, Phase
from core.jobs import reminders
from core.notifications.models import Notification
from core.outcomes.models import DOMAINS, OutcomeReview
from core.persons.models import Person
from core.plans.models import PlanAction, RecoveryPlan
from core.referrals.models import Referral

# A fixed "today" for the moved clock: a Wednesday, clear of bank holidays.
TODAY = date(2026, 3, 11)


@pytest.fixture
async def factory(world) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(world.settings.db)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def ctx(factory) -> dict[str, Any]:
    return {"session_factory": factory}


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


async def add_case(
    factory: async_sessionmaker[AsyncSession],
    world: Any,
    *,
    tenant: str = "low-moss",
    key_worker: str | None = "lm_worker",
    location: str = "in_custody",
    liberation_date: date | None = None,
    opened_on: date = TODAY - timedelta(days=10),
    episode_open: bool = True,
) -> tuple[uuid.UUID, uuid.UUID]:
    """A person with an episode (open unless told otherwise); returns (person, episode)."""
    tenant_id = world.tenants[tenant].id
    async with factory() as session:
        person = Person(
            tenant_id=tenant_id,
            given_name="Alex",
            family_name=f"Case{uuid.uuid4().hex[:6]}",
            sort_name="case alex",
            date_of_birth=date(1990, 1, 1),
            location=location,
            liberation_date=liberation_date,
        )
        session.add(person)
        await session.flush()
        episode = Episode(
            tenant_id=tenant_id,
            person_id=person.id,
            phase=Phase.IN_CUSTODY_SUPPORT if episode_open else Phase.CLOSED,
            key_worker_id=world.users[key_worker].id if key_worker else None,
            opened_at=noon(opened_on),
            closed_at=None if episode_open else noon(opened_on + timedelta(days=1)),
        )
        session.add(episode)
        await session.commit()
        return person.id, episode.id


async def tasks(factory: async_sessionmaker[AsyncSession]) -> list[Notification]:
    async with factory() as session:
        rows = await session.scalars(
            select(Notification).order_by(Notification.created_at, Notification.key)
        )
        return list(rows.all())


def tid(world: Any, tenant: str = "low-moss") -> str:
    return str(world.tenants[tenant].id)


async def run_at(day: date, job: Any, ctx: dict[str, Any], world: Any) -> int:
    with clock.moved(to=day):
        return int(await job(ctx, tenant_id=tid(world)))


# --- after release -----------------------------------------------------------------------


async def test_liberated_three_days_ago_gets_a_check_in_and_the_naloxone_check_once(
    world, factory, ctx
):
    person, _ = await add_case(
        factory, world, location="in_community", liberation_date=TODAY - timedelta(days=3)
    )
    assert await run_at(TODAY, reminders.remind_after_release, ctx, world) == 2
    assert await run_at(TODAY, reminders.remind_after_release, ctx, world) == 0  # run twice

    rows = await tasks(factory)
    assert sorted((t.kind, t.title) for t in rows) == [
        ("naloxone_on_release", "Naloxone on release: confirm supply"),
        ("release_check_in", "Check-in after release due"),
    ]
    assert {t.user_id for t in rows} == {world.users["lm_worker"].id}
    assert {t.person_id for t in rows} == {person}
    assert {t.link for t in rows} == {f"/t/low-moss/persons/{person}"}
    check_in = next(t for t in rows if t.kind == "release_check_in")
    assert check_in.due_date == TODAY  # day 3 after release

    # Day 7 brings the next check-in; day 15 is past the first two weeks: nothing more.
    job = reminders.remind_after_release
    assert await run_at(TODAY + timedelta(days=4), job, ctx, world) == 1
    assert await run_at(TODAY + timedelta(days=11), job, ctx, world) == 1  # day 14
    assert await run_at(TODAY + timedelta(days=12), job, ctx, world) == 0  # day 15
    due = sorted(t.due_date for t in await tasks(factory) if t.kind == "release_check_in")
    assert due == [TODAY, TODAY + timedelta(days=4), TODAY + timedelta(days=11)]


async def test_still_in_custody_after_the_date_gets_no_after_release_reminder(world, factory, ctx):
    await add_case(factory, world, location="in_custody", liberation_date=TODAY - timedelta(days=3))
    assert await run_at(TODAY, reminders.remind_after_release, ctx, world) == 0


# --- liberation countdown ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_before", "title"),
    [
        (84, "Liberation within 12 weeks"),
        (60, "Liberation within 12 weeks"),
        (28, "Liberation within 4 weeks"),
        (14, "Liberation within 2 weeks"),
        (1, "Liberation tomorrow"),
        (0, "Liberation today"),
    ],
)
async def test_countdown_titles(world, factory, ctx, days_before, title):
    await add_case(factory, world, liberation_date=TODAY + timedelta(days=days_before))
    assert await run_at(TODAY, reminders.remind_liberation, ctx, world) == 1
    [task] = await tasks(factory)
    assert (task.title, task.due_date) == (title, TODAY + timedelta(days=days_before))


async def test_countdown_reminds_once_per_milestone_and_catches_up(world, factory, ctx):
    liberation = TODAY + timedelta(days=90)
    await add_case(factory, world, liberation_date=liberation)
    steps = [91, 90, 84, 83, 50, 29, 28, 20, 3, 1, 1, 0, -1]
    created = [
        await run_at(liberation - timedelta(days=d), reminders.remind_liberation, ctx, world)
        for d in steps
    ]
    # 12 weeks, 4 weeks, 2 weeks (caught up at 3 days), tomorrow, today; each once.
    assert created == [0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0]
    titles = [t.title for t in await tasks(factory)]
    assert titles == [
        "Liberation within 12 weeks",
        "Liberation within 4 weeks",
        "Liberation within 2 weeks",
        "Liberation tomorrow",
        "Liberation today",
    ]


async def test_a_changed_liberation_date_counts_down_again(world, factory, ctx):
    person, _ = await add_case(factory, world, liberation_date=TODAY + timedelta(days=10))
    assert await run_at(TODAY, reminders.remind_liberation, ctx, world) == 1
    async with factory() as session:
        row = await session.get(Person, (world.tenants["low-moss"].id, person))
        assert row is not None
        row.liberation_date = TODAY + timedelta(days=12)
        await session.commit()
    assert await run_at(TODAY, reminders.remind_liberation, ctx, world) == 1


async def test_unassigned_goes_to_the_leads_and_closed_episodes_to_nobody(world, factory, ctx):
    await add_case(factory, world, key_worker=None, liberation_date=TODAY + timedelta(days=1))
    await add_case(factory, world, liberation_date=TODAY + timedelta(days=1), episode_open=False)
    await add_case(
        factory, world, tenant="leicester", key_worker="lc_worker", liberation_date=TODAY
    )
    assert await run_at(TODAY, reminders.remind_liberation, ctx, world) == 1
    [task] = await tasks(factory)
    # lm_lead is low-moss's only partnership lead; Leicester's person is another tenant's job.
    assert task.user_id == world.users["lm_lead"].id
    assert task.tenant_id == world.tenants["low-moss"].id


# --- assessments -------------------------------------------------------------------------


async def add_referral(
    factory: async_sessionmaker[AsyncSession],
    world: Any,
    person: uuid.UUID,
    episode: uuid.UUID,
    due: date,
    *,
    decision: str | None = None,
) -> uuid.UUID:
    async with factory() as session:
        referral = Referral(
            tenant_id=world.tenants["low-moss"].id,
            person_id=person,
            episode_id=episode,
            source="self",
            received_at=noon(due - timedelta(days=7)),
            assessment_due_on=due,
            decision=decision,
        )
        session.add(referral)
        await session.commit()
        return referral.id


async def test_assessment_due_today_then_overdue_until_assessed(world, factory, ctx):
    person, episode = await add_case(factory, world)
    referral = await add_referral(factory, world, person, episode, TODAY)
    declined_person, declined_episode = await add_case(factory, world)
    await add_referral(
        factory, world, declined_person, declined_episode, TODAY, decision="declined"
    )

    assert await run_at(TODAY - timedelta(days=1), reminders.remind_assessments, ctx, world) == 0
    assert await run_at(TODAY, reminders.remind_assessments, ctx, world) == 1
    assert await run_at(TODAY, reminders.remind_assessments, ctx, world) == 0
    tomorrow = TODAY + timedelta(days=1)
    assert await run_at(tomorrow, reminders.remind_assessments, ctx, world) == 1
    assert await run_at(tomorrow + timedelta(days=5), reminders.remind_assessments, ctx, world) == 0
    assert [(t.title, t.due_date) for t in await tasks(factory)] == [
        ("Initial assessment due today", TODAY),
        ("Initial assessment overdue", TODAY),
    ]

    # Once the initial assessment is recorded, a new referral's reminder is all there is.
    async with factory() as session:
        session.add(
            Assessment(
                tenant_id=world.tenants["low-moss"].id,
                person_id=person,
                episode_id=episode,
                referral_id=referral,
                organisation_id=uuid.UUID(world.org_id("low-moss", "turning-point-scotland")),
                kind="comprehensive",
                category="substance_use",
                completed_at=noon(tomorrow),
            )
        )
        await session.commit()
    async with factory() as session:
        await session.execute(Notification.__table__.delete())
        await session.commit()
    assert await run_at(tomorrow, reminders.remind_assessments, ctx, world) == 0


async def test_a_brief_intervention_after_screening_is_never_overdue(world, factory, ctx):
    """The five-day standard is the initial (triage) assessment: someone screened and given a
    brief intervention needs no comprehensive assessment, so nothing is ever overdue."""
    person, episode = await add_case(factory, world)
    referral = await add_referral(
        factory, world, person, episode, TODAY, decision="brief_intervention"
    )
    async with factory() as session:
        session.add(
            Assessment(
                tenant_id=world.tenants["low-moss"].id,
                person_id=person,
                episode_id=episode,
                referral_id=referral,
                organisation_id=uuid.UUID(world.org_id("low-moss", "turning-point-scotland")),
                kind="screening",
                category="substance_use",
                completed_at=noon(TODAY - timedelta(days=1)),
            )
        )
        await session.commit()
    for days in (0, 1, 10, 60):
        assert (
            await run_at(TODAY + timedelta(days=days), reminders.remind_assessments, ctx, world)
            == 0
        )
    assert await tasks(factory) == []


# --- outcome reviews, plan actions, consents ----------------------------------------------


async def test_outcome_review_due_monthly_in_prison(world, factory, ctx):
    person, episode = await add_case(factory, world, opened_on=TODAY - timedelta(days=40))
    assert await run_at(TODAY, reminders.remind_outcome_reviews, ctx, world) == 1
    assert await run_at(TODAY, reminders.remind_outcome_reviews, ctx, world) == 0
    async with factory() as session:
        session.add(
            OutcomeReview(
                tenant_id=world.tenants["low-moss"].id,
                person_id=person,
                episode_id=episode,
                organisation_id=uuid.UUID(world.org_id("low-moss", "turning-point-scotland")),
                reviewed_on=TODAY,
                setting="prison",
                **dict.fromkeys(DOMAINS, 5),
            )
        )
        await session.commit()
    later = TODAY + timedelta(days=20)
    assert await run_at(later, reminders.remind_outcome_reviews, ctx, world) == 0
    # A month after that review, the next one is due: a new reminder.
    assert (
        await run_at(TODAY + timedelta(days=32), reminders.remind_outcome_reviews, ctx, world) == 1
    )
    assert [t.title for t in await tasks(factory)] == ["Outcome review due"] * 2


async def test_plan_action_due_then_overdue_reminds_once(world, factory, ctx):
    person, episode = await add_case(factory, world)
    async with factory() as session:
        plan = RecoveryPlan(
            tenant_id=world.tenants["low-moss"].id, person_id=person, episode_id=episode
        )
        session.add(plan)
        await session.flush()
        session.add(
            PlanAction(
                tenant_id=plan.tenant_id,
                plan_id=plan.id,
                description="Register with a GP",
                owner_organisation_id=uuid.UUID(world.org_id("low-moss", "sacro")),
                due_on=TODAY,
            )
        )
        await session.commit()
    assert await run_at(TODAY - timedelta(days=1), reminders.remind_plan_actions, ctx, world) == 0
    assert await run_at(TODAY, reminders.remind_plan_actions, ctx, world) == 1
    assert await run_at(TODAY + timedelta(days=3), reminders.remind_plan_actions, ctx, world) == 0
    [task] = await tasks(factory)
    assert (task.title, task.due_date, task.person_id) == (
        "Recovery plan action due",
        TODAY,
        person,
    )
    # The title says no more than that: the action's text stays behind the link.
    assert "GP" not in task.title


async def test_consent_expiring_within_two_weeks_reminds_once(world, factory, ctx):
    person, _ = await add_case(factory, world)
    tenant_id = world.tenants["low-moss"].id
    async with factory() as session:
        for expires, withdrawn in [(20, None), (10, None), (5, noon(TODAY - timedelta(days=1)))]:
            session.add(
                Consent(
                    tenant_id=tenant_id,
                    person_id=person,
                    category="housing",
                    recipient_kind="local_authority",
                    purpose="Housing on release",
                    lawful_basis="consent",
                    given_at=noon(TODAY - timedelta(days=100)),
                    expires_at=noon(TODAY + timedelta(days=expires)),
                    withdrawn_at=withdrawn,
                )
            )
        await session.commit()
    assert await run_at(TODAY, reminders.remind_consent_expiry, ctx, world) == 1
    assert await run_at(TODAY, reminders.remind_consent_expiry, ctx, world) == 0
    [task] = await tasks(factory)
    assert (task.title, task.due_date) == (
        "Consent to share expires soon",
        TODAY + timedelta(days=10),
    )
    # Six days on, the 20-day consent is within two weeks too.
    assert await run_at(TODAY + timedelta(days=6), reminders.remind_consent_expiry, ctx, world) == 1


async def test_a_missing_or_inactive_tenant_is_a_no_op(world, ctx):
    assert await reminders.remind_liberation(ctx, tenant_id=str(uuid.uuid4())) == 0
