"""The "met at the gate" appointment that follows the person's liberation date: made,
moved or cancelled by :func:`sync_gate_appointment`, the job's entry point.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.clock import UK_TIME
from core.clock import today as local_today
from core.persons.models import Person
from plugins.peer_mentoring.common import current_match
from plugins.peer_mentoring.models import GateAppointment, GateStatus

# Scottish and English prisons release in the morning; the mentor is at the gate before.
GATE_TIME = time(8, 0)


def gate_time(day: date) -> datetime:
    """08:00 UK civil time on the liberation day, in UTC."""
    return datetime.combine(day, GATE_TIME, tzinfo=UK_TIME).astimezone(UTC)


async def sync_gate_appointment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    today: date | None = None,
) -> str:
    """:func:`reconcile_gate_appointment`, audited and committed: what the job runs."""
    outcome = await reconcile_gate_appointment(session, tenant_id, person_id, today=today)
    await session.commit()
    return outcome


async def reconcile_gate_appointment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    today: date | None = None,
    audit_changes: bool = True,
) -> str:
    """Make the person's gate appointment agree with their liberation date, as it is now.

    Reads the current date rather than the one in the event, so running it twice, or
    running an older event's job after a newer one, always ends in the same state: one
    scheduled appointment on a future liberation date (moved, not duplicated, when the
    date moves), none when the date is cleared. Past appointments are history and stay.
    Returns what it did: ``created``, ``moved``, ``cancelled``, ``unchanged`` or ``none``.
    The caller commits.
    """
    today = today or local_today()
    person = await session.scalar(
        select(Person)
        .where(Person.tenant_id == tenant_id, Person.id == person_id)
        .with_for_update()
    )
    if person is None:
        return "none"
    upcoming = list(
        (
            await session.scalars(
                select(GateAppointment)
                .where(
                    GateAppointment.tenant_id == tenant_id,
                    GateAppointment.person_id == person_id,
                    GateAppointment.status == GateStatus.SCHEDULED,
                    GateAppointment.liberation_date >= today,
                )
                .order_by(GateAppointment.created_at, GateAppointment.id)
                .with_for_update()
            )
        ).all()
    )
    target = person.liberation_date
    if target is not None and target < today:
        target = None  # a release already past is not met at the gate after the event
    outcome = "unchanged"

    def audit(row: GateAppointment, action: str, detail: dict[str, Any]) -> None:
        if not audit_changes:
            return
        record(
            session,
            None,
            action,
            "gate_appointment",
            row.id,
            person_id=person_id,
            tenant_id=tenant_id,
            detail={"by": "gate appointment job", **detail},
        )

    keep = upcoming[0] if upcoming and target is not None else None
    for extra in upcoming:
        if extra is keep:
            continue
        extra.status = GateStatus.CANCELLED
        audit(extra, "cancel", {"liberation_date": extra.liberation_date.isoformat()})
        outcome = "cancelled"
    if target is not None:
        if keep is None:
            match = await current_match(session, tenant_id, person_id)
            keep = GateAppointment(
                tenant_id=tenant_id,
                person_id=person_id,
                mentor_id=match.mentor_id if match else None,
                liberation_date=target,
                meet_at=gate_time(target),
                status=GateStatus.SCHEDULED,
            )
            session.add(keep)
            await session.flush()
            audit(keep, "create", {"liberation_date": target.isoformat()})
            outcome = "created"
        elif keep.liberation_date != target:
            old = keep.liberation_date
            keep.liberation_date = target
            keep.meet_at = gate_time(target)
            audit(keep, "update", {"from": old.isoformat(), "to": target.isoformat()})
            outcome = "moved"
    return outcome
