"""The met-at-the-gate line of a person's release checklist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.hooktypes import ChecklistItem, ChecklistSource
from plugins.peer_mentoring.models import GateAppointment, GateStatus

CATEGORY = "peer_support"


async def gate_line(session: AsyncSession, person: Any) -> list[ChecklistItem]:
    booked = None
    if person.liberation_date is not None:
        booked = await session.scalar(
            select(GateAppointment.id).where(
                GateAppointment.tenant_id == person.tenant_id,
                GateAppointment.person_id == person.id,
                GateAppointment.liberation_date == person.liberation_date,
                GateAppointment.status.in_([GateStatus.SCHEDULED, GateStatus.MET]),
            )
        )
    return [
        ChecklistItem(
            key="met_at_the_gate",
            label="Peer mentor to meet them at the gate",
            done=booked is not None,
            category=CATEGORY,
            detail=None if person.liberation_date else "Needs a liberation date",
            due=person.liberation_date,
        )
    ]


CHECKLIST = ChecklistSource(name="peer_mentoring", category=CATEGORY, answer=gate_line)
