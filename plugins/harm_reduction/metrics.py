"""Harm reduction's figures for the partnership's reports: counts of people, which the
report suppresses below five like every other count."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import UK_TIME
from core.hooktypes import ReportMetric
from plugins.harm_reduction.models import DrugTest, DrugTestResult, NaloxoneSupply

SECTION = "Harm reduction"


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """UK days ``start`` to ``end`` inclusive, as a half-open range of instants."""
    return (
        datetime.combine(start, time(), UK_TIME),
        datetime.combine(end + timedelta(days=1), time(), UK_TIME),
    )


async def people_testing_positive(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> int:
    begins, ends = period(start, end)
    return int(
        await session.scalar(
            select(func.count(DrugTest.person_id.distinct())).where(
                DrugTest.tenant_id == tenant_id,
                DrugTest.result == DrugTestResult.POSITIVE,
                DrugTest.tested_at >= begins,
                DrugTest.tested_at < ends,
            )
        )
        or 0
    )


async def people_given_naloxone(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> int:
    begins, ends = period(start, end)
    return int(
        await session.scalar(
            select(func.count(NaloxoneSupply.person_id.distinct())).where(
                NaloxoneSupply.tenant_id == tenant_id,
                NaloxoneSupply.supplied_at >= begins,
                NaloxoneSupply.supplied_at < ends,
            )
        )
        or 0
    )


METRICS = [
    ReportMetric(
        key="people_testing_positive",
        label="People with a positive drug test (each referred automatically)",
        section=SECTION,
        compute=people_testing_positive,
    ),
    ReportMetric(
        key="people_given_naloxone",
        label="People supplied a naloxone kit",
        section=SECTION,
        compute=people_given_naloxone,
    ),
]
