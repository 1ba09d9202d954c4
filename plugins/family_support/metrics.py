"""Family support's figures for the partnership's reports: counts of people, which the
report suppresses below five like every other count."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import UK_TIME
from core.hooktypes import ReportMetric
from plugins.family_support.models import FamilyDay, FamilyDayStatus, FamilySession

SECTION = "Family support"


async def people_with_family_support(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> int:
    begins = datetime.combine(start, time(), UK_TIME)
    ends = datetime.combine(end + timedelta(days=1), time(), UK_TIME)
    return int(
        await session.scalar(
            select(func.count(FamilySession.person_id.distinct())).where(
                FamilySession.tenant_id == tenant_id,
                FamilySession.occurred_at >= begins,
                FamilySession.occurred_at < ends,
            )
        )
        or 0
    )


async def people_with_a_family_day(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> int:
    return int(
        await session.scalar(
            select(func.count(FamilyDay.person_id.distinct())).where(
                FamilyDay.tenant_id == tenant_id,
                FamilyDay.status == FamilyDayStatus.HELD,
                FamilyDay.planned_on >= start,
                FamilyDay.planned_on <= end,
            )
        )
        or 0
    )


METRICS = [
    ReportMetric(
        key="people_with_family_support",
        label="People whose families were supported",
        section=SECTION,
        compute=people_with_family_support,
    ),
    ReportMetric(
        key="people_with_a_family_day",
        label="People who had a family day before release",
        section=SECTION,
        compute=people_with_a_family_day,
    ),
]
