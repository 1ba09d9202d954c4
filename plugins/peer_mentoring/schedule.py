"""The mentors' diary: gate appointments (recording whether the person was met) and the
schedule of appointments and planned sessions, soonest first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import String, literal, select, union_all

from core.audit.services import record
from core.clock import UK_TIME
from core.clock import today as local_today
from core.errors import RuleViolation, not_found
from core.interventions.services import utc_cursor_time
from core.pagination import Page, fetch_page, keyset, page_of
from plugins.peer_mentoring.common import (
    CATEGORY,
    DEFAULT_SCHEDULE_DAYS,
    MAX_SCHEDULE_DAYS,
    PeerMentoringBase,
    gate_out,
)
from plugins.peer_mentoring.models import (
    GateAppointment,
    GateStatus,
    Mentor,
    MentoringSession,
    SessionStatus,
    VettingStatus,
)
from plugins.peer_mentoring.schemas import GateAppointmentOut, GateAppointmentUpdate, ScheduleItem


class ScheduleMixin(PeerMentoringBase):
    async def update_gate_appointment(
        self, appointment_id: uuid.UUID, data: GateAppointmentUpdate
    ) -> GateAppointment:
        row = await self.session.get(
            GateAppointment, (self.actor.tenant_id, appointment_id), with_for_update=True
        )
        if row is None:
            raise not_found("Gate appointment")
        await self._person(row.person_id, "write")
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if row.status != GateStatus.SCHEDULED and changes:
            raise RuleViolation(f"This gate appointment is already {row.status}", field="status")
        status = changes.get("status")
        if status in (GateStatus.MET, GateStatus.MISSED) and row.liberation_date > local_today():
            raise RuleViolation(
                "Whether the person was met is recorded on or after the day", field="status"
            )
        mentor_id = changes.get("mentor_id")
        if mentor_id is not None:
            mentor = await self.session.get(Mentor, (self.actor.tenant_id, mentor_id))
            if mentor is None or mentor.vetting_status != VettingStatus.CLEARED:
                raise RuleViolation(
                    "Only a cleared mentor of this partnership meets people at the gate",
                    field="mentor_id",
                )
        for name, value in changes.items():
            setattr(row, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "gate_appointment",
            row.id,
            person_id=row.person_id,
            detail={"fields": sorted(changes), "status": row.status},
        )
        await self.session.commit()
        return row

    def _window(self, start: date | None, end: date | None) -> tuple[datetime, datetime]:
        start = start or local_today()
        end = end or start + timedelta(days=DEFAULT_SCHEDULE_DAYS)
        if end < start or (end - start).days > MAX_SCHEDULE_DAYS:
            raise ValidationException(
                detail=f"'to' must be on or after 'from', at most {MAX_SCHEDULE_DAYS} days on",
                extra=[{"key": "to", "message": "out of range"}],
            )
        begins = datetime.combine(start, time(0), tzinfo=UK_TIME).astimezone(UTC)
        ends = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UK_TIME).astimezone(UTC)
        return begins, ends

    async def _mentor_filter(self, mentor_id: uuid.UUID | None, mine: bool) -> Sequence[Any]:
        if not mine:
            return [mentor_id] if mentor_id is not None else []
        own = await self.session.scalar(
            select(Mentor.id).where(
                Mentor.tenant_id == self.actor.tenant_id, Mentor.user_id == self.actor.user_id
            )
        )
        if own is None:
            raise RuleViolation("You are not a mentor in this partnership", field="mine")
        return [own]

    async def list_gate_appointments(
        self,
        *,
        start: date | None,
        end: date | None,
        status: GateStatus | None,
        limit: int,
        cursor: str | None,
    ) -> Page[GateAppointmentOut]:
        begins, ends = self._window(start, end)
        stmt = select(GateAppointment).where(
            GateAppointment.tenant_id == self.actor.tenant_id,
            GateAppointment.meet_at >= begins,
            GateAppointment.meet_at < ends,
            self.access.person_filter(CATEGORY, "read", GateAppointment.person_id),
        )
        if status is not None:
            stmt = stmt.where(GateAppointment.status == status)
        rows, next_cursor = await fetch_page(
            self.session, stmt, [GateAppointment.meet_at, GateAppointment.id], cursor, limit
        )
        record(
            self.session,
            self.actor,
            "list",
            "gate_appointment",
            detail={"from": begins.isoformat(), "to": ends.isoformat(), "returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[gate_out(r) for r in rows], next_cursor=next_cursor)

    async def schedule(
        self,
        *,
        start: date | None,
        end: date | None,
        mentor_id: uuid.UUID | None,
        mine: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[ScheduleItem]:
        """Scheduled gate appointments and planned sessions, soonest first, in one page."""
        begins, ends = self._window(start, end)
        mentors = await self._mentor_filter(mentor_id, mine)
        gate = select(
            literal("gate_appointment", String()).label("kind"),
            GateAppointment.tenant_id.label("tenant_id"),
            GateAppointment.id.label("id"),
            GateAppointment.person_id.label("person_id"),
            GateAppointment.mentor_id.label("mentor_id"),
            GateAppointment.meet_at.label("starts_at"),
        ).where(
            GateAppointment.tenant_id == self.actor.tenant_id,
            GateAppointment.status == GateStatus.SCHEDULED,
            GateAppointment.meet_at >= begins,
            GateAppointment.meet_at < ends,
        )
        sessions = select(
            literal("session", String()).label("kind"),
            MentoringSession.tenant_id.label("tenant_id"),
            MentoringSession.id.label("id"),
            MentoringSession.person_id.label("person_id"),
            MentoringSession.mentor_id.label("mentor_id"),
            MentoringSession.starts_at.label("starts_at"),
        ).where(
            MentoringSession.tenant_id == self.actor.tenant_id,
            MentoringSession.status == SessionStatus.PLANNED,
            MentoringSession.starts_at >= begins,
            MentoringSession.starts_at < ends,
        )
        if mentors:
            gate = gate.where(GateAppointment.mentor_id.in_(mentors))
            sessions = sessions.where(MentoringSession.mentor_id.in_(mentors))
        both = union_all(gate, sessions).subquery()
        stmt = select(both).where(self.access.person_filter(CATEGORY, "read", both.c.person_id))
        stmt = keyset(
            stmt,
            [both.c.starts_at, both.c.id],
            cursor,
            limit,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.starts_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "peer_mentoring_schedule",
            detail={
                "from": begins.isoformat(),
                "to": ends.isoformat(),
                "mentor_ids": [str(m) for m in mentors],
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(
            items=[
                ScheduleItem(
                    kind=r.kind,
                    id=r.id,
                    person_id=r.person_id,
                    mentor_id=r.mentor_id,
                    starts_at=r.starts_at,
                )
                for r in rows
            ],
            next_cursor=next_cursor,
        )
