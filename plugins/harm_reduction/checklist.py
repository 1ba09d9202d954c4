"""The naloxone line of a person's release checklist: the first two weeks after release
carry the highest risk of overdose."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.hooktypes import ChecklistItem, ChecklistSource
from plugins.harm_reduction.models import NaloxoneSupply

CATEGORY = "health"


async def naloxone_line(session: AsyncSession, person: Any) -> list[ChecklistItem]:
    supplied = await session.scalar(
        select(NaloxoneSupply.supplied_at)
        .where(NaloxoneSupply.tenant_id == person.tenant_id, NaloxoneSupply.person_id == person.id)
        .order_by(NaloxoneSupply.supplied_at.desc())
        .limit(1)
    )
    return [
        ChecklistItem(
            key="naloxone",
            label="Naloxone kit supplied for release",
            done=supplied is not None,
            category=CATEGORY,
            detail=f"Last supplied {supplied:%d %B %Y}" if supplied else None,
            due=person.liberation_date,
        )
    ]


CHECKLIST = ChecklistSource(name="harm_reduction", category=CATEGORY, answer=naloxone_line)
