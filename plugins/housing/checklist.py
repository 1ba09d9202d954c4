"""The housing line of a person's release checklist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.hooktypes import ChecklistItem, ChecklistSource
from plugins.housing.models import HousingRecord, Status

CATEGORY = "housing"


async def housing_line(session: AsyncSession, person: Any) -> list[ChecklistItem]:
    row = await session.scalar(
        select(HousingRecord).where(
            HousingRecord.tenant_id == person.tenant_id, HousingRecord.person_id == person.id
        )
    )
    status = Status(row.status) if row else None
    return [
        ChecklistItem(
            key="housing",
            label="Accommodation secured for liberation",
            done=status == Status.ACCOMMODATION_SECURED,
            category=CATEGORY,
            detail=status.value.replace("_", " ").capitalize() if status else "No housing record",
            due=person.liberation_date,
        )
    ]


CHECKLIST = ChecklistSource(name="housing", category=CATEGORY, answer=housing_line)
