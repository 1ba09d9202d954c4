"""The family-day line of a person's release checklist (Leicester: family days planned
as release nears)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.hooktypes import ChecklistItem, ChecklistSource
from plugins.family_support.models import FamilyDay, FamilyDayStatus

CATEGORY = "family"


async def family_day_line(session: AsyncSession, person: Any) -> list[ChecklistItem]:
    stmt = select(FamilyDay.planned_on).where(
        FamilyDay.tenant_id == person.tenant_id,
        FamilyDay.person_id == person.id,
        FamilyDay.status.in_([FamilyDayStatus.PLANNED, FamilyDayStatus.HELD]),
    )
    if person.liberation_date is not None:
        stmt = stmt.where(FamilyDay.planned_on <= person.liberation_date)
    planned = await session.scalar(stmt.order_by(FamilyDay.planned_on.desc()).limit(1))
    return [
        ChecklistItem(
            key="family_day",
            label="Family day before release",
            done=planned is not None,
            category=CATEGORY,
            detail=f"{planned:%d %B %Y}" if planned else None,
            due=person.liberation_date,
        )
    ]


CHECKLIST = ChecklistSource(name="family_support", category=CATEGORY, answer=family_day_line)
