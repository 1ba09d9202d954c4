"""The five-working-day rule in each nation's calendar, and the overdue-assessment query
with a 'today' the caller controls (as a scheduled job would pass it)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from core.referrals.services import assessment_due_on, local_date, overdue_assessments
from core.working_days import add_working_days, is_working_day
from tests.core.test_referrals import (
    LC,
    add_assessment,
    db,
    decide,
    make_person,
    refer,
    tenant_id,
)

ST_ANDREWS_DAY = date(2026, 11, 30)  # a Monday: a bank holiday in Scotland only
EASTER_MONDAY = date(2026, 4, 6)  # a bank holiday in England (and Wales), not Scotland


def test_st_andrews_day_is_skipped_in_scotland_only():
    assert ST_ANDREWS_DAY.weekday() == 0
    assert not is_working_day(ST_ANDREWS_DAY, "scotland")
    assert is_working_day(ST_ANDREWS_DAY, "england")
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1, "scotland") == date(2026, 12, 1)
    assert add_working_days(friday, 1, "england") == date(2026, 11, 30)
    # Referred on Wednesday 25 November: five working days.
    assert add_working_days(date(2026, 11, 25), 5, "scotland") == date(2026, 12, 3)
    assert add_working_days(date(2026, 11, 25), 5, "england") == date(2026, 12, 2)


def test_easter_monday_is_skipped_in_england_only():
    assert EASTER_MONDAY.weekday() == 0
    assert not is_working_day(EASTER_MONDAY, "england")
    assert is_working_day(EASTER_MONDAY, "scotland")
    thursday = date(2026, 4, 2)  # Good Friday (3 April) is a holiday in both
    assert add_working_days(thursday, 1, "england") == date(2026, 4, 7)
    assert add_working_days(thursday, 1, "scotland") == date(2026, 4, 6)
    assert add_working_days(thursday, 5, "england") == date(2026, 4, 13)
    assert add_working_days(thursday, 5, "scotland") == date(2026, 4, 10)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 2), 0, date(2026, 3, 2)),  # nothing to add
        (date(2026, 3, 2), 1, date(2026, 3, 3)),  # the start day never counts
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday -> Monday
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday -> Monday
        (date(2026, 3, 2), 5, date(2026, 3, 9)),  # a full week
    ],
)
def test_weekends_are_skipped(start, days, expected):
    for nation in ("scotland", "england"):
        assert add_working_days(start, days, nation) == expected


def test_the_assessment_due_date_uses_the_uk_calendar_day():
    # 23:30 UTC on Friday 27 Nov 2026 is still Friday in the UK (GMT)...
    friday_night = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert local_date(friday_night) == date(2026, 11, 27)
    assert assessment_due_on(friday_night, "scotland") == date(2026, 12, 7)
    assert assessment_due_on(friday_night, "england") == date(2026, 12, 4)
    # ... but 23:30 UTC on 30 June is already 1 July in BST.
    assert local_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)


async def test_overdue_assessments_on_a_given_day(world):
    alex = await make_person(world, family_name="Alex")
    blair = await make_person(world, family_name="Blair")
    # Mon 2 Nov 2026 + 5 working days = Mon 9 Nov; Tue 3 Nov -> Tue 10 Nov.
    waiting = await refer(world, alex, received_at="2026-11-02T10:00:00Z")
    assert waiting["assessment_due_on"] == "2026-11-09"
    accepted = await refer(world, blair, received_at="2026-11-03T10:00:00Z")
    assessed = await refer(world, await make_person(world), received_at="2026-11-02T11:00:00Z")
    declined = await refer(
        world, await make_person(world, family_name="Dee"), received_at="2026-11-02T12:00:00Z"
    )
    await decide(world, accepted["id"], "full_support")
    await decide(world, declined["id"], "declined")
    await add_assessment(world, assessed, "comprehensive")
    await add_assessment(world, waiting, "risk")  # not the initial assessment
    # Another partnership's overdue referral is not Low Moss's business.
    leicester = await make_person(world, "lc_worker", LC)
    await refer(world, leicester, "lc_worker", LC, received_at="2026-11-02T10:00:00Z")

    async def overdue_on(today: date) -> list[str]:
        async with db(world) as session:
            rows = await overdue_assessments(session, tenant_id(world, "low-moss"), today)
            return [str(r.id) for r in rows]

    assert await overdue_on(date(2026, 11, 9)) == []  # due today is not yet overdue
    assert await overdue_on(date(2026, 11, 10)) == [waiting["id"]]
    # Longest overdue first; an accepted offer still awaits its assessment.
    assert await overdue_on(date(2026, 11, 11)) == [waiting["id"], accepted["id"]]

    await add_assessment(world, waiting, "comprehensive")
    assert await overdue_on(date(2026, 11, 11)) == [accepted["id"]]

    async with db(world) as session:
        lc = await overdue_assessments(session, tenant_id(world, "leicester"), date(2026, 11, 10))
        assert [r.person_id for r in lc] == [uuid.UUID(leicester)]
