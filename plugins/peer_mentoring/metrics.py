"""Peer mentoring's figures for the partnership's reports: counts of people, which the
report suppresses below five like every other count."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.hooktypes import ReportMetric
from plugins.peer_mentoring.models import GateAppointment, GateStatus, MentorMatch

SECTION = "Peer mentoring"


async def people_met_at_the_gate(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> int:
    return int(
        await session.scalar(
            select(func.count(GateAppointment.person_id.distinct())).where(
                GateAppointment.tenant_id == tenant_id,
                GateAppointment.status == GateStatus.MET,
                GateAppointment.liberation_date >= start,
                GateAppointment.liberation_date <= end,
            )
        )
        or 0
    )


async def people_matched(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> int:
    return int(
        await session.scalar(
            select(func.count(MentorMatch.person_id.distinct())).where(
                MentorMatch.tenant_id == tenant_id,
                MentorMatch.started_on >= start,
                MentorMatch.started_on <= end,
            )
        )
        or 0
    )


METRICS = [
    ReportMetric(
        key="people_met_at_the_gate",
        label="People met at the gate by a peer mentor on release",
        section=SECTION,
        compute=people_met_at_the_gate,
    ),
    ReportMetric(
        key="people_matched_with_a_mentor",
        label="People matched with a peer mentor",
        section=SECTION,
        compute=people_matched,
    ),
]
