"""A meeting's life: started, read, listed, closed, and a complex case escalated from it.

A closed meeting's record no longer changes, except that its actions can still be marked
done (:mod:`core.meetings.actions`): they are followed up after the meeting. An escalation
says why (required): the reason is kept on the complex-case meeting and in the audit.
"""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from sqlalchemy import select

from core import clock
from core.audit.services import record
from core.db.base import utcnow
from core.errors import Conflict, RuleViolation
from core.meetings.base import MeetingBase
from core.meetings.models import CaseMeeting, MeetingItem, MeetingKind
from core.meetings.outputs import CATEGORY, DEFAULT_TITLES, clean, meeting_summary
from core.meetings.schemas import Escalation, MeetingCreate, MeetingOut, MeetingSummary
from core.pagination import Page, keyset, page_of


class MeetingLifecycle(MeetingBase):
    async def list(
        self,
        *,
        held_from: date | None,
        held_to: date | None,
        kind: MeetingKind | None,
        limit: int,
        cursor: str | None,
    ) -> Page[MeetingSummary]:
        await self._require_case_reader()
        stmt = select(CaseMeeting, self._escalated_readable().label("readable")).where(
            CaseMeeting.tenant_id == self.actor.tenant_id
        )
        if held_from is not None:
            stmt = stmt.where(CaseMeeting.held_on >= held_from)
        if held_to is not None:
            stmt = stmt.where(CaseMeeting.held_on <= held_to)
        if kind is not None:
            stmt = stmt.where(CaseMeeting.kind == kind)
        stmt = keyset(
            stmt,
            [CaseMeeting.held_on, CaseMeeting.id],
            cursor,
            limit,
            descending=True,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r[0].held_on.isoformat(), str(r[0].id)])
        record(
            self.session,
            self.actor,
            "list",
            "case_meeting",
            detail={
                "held_from": held_from.isoformat() if held_from else None,
                "held_to": held_to.isoformat() if held_to else None,
                "kind": kind,
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(
            items=[meeting_summary(m, bool(readable)) for m, readable in rows],
            next_cursor=next_cursor,
        )

    async def get(self, meeting_id: uuid.UUID) -> MeetingOut:
        meeting = await self._meeting(meeting_id)
        out = await self._detail(meeting)
        record(
            self.session,
            self.actor,
            "read",
            "case_meeting",
            meeting.id,
            person_id=out.escalated_person_id,
            detail={"items": len(out.items), "withheld_items": out.withheld_items},
        )
        # Each person discussed (and shown) gets their own read event, so a person's audit
        # trail shows who read what the meeting said about them.
        for item in out.items:
            record(
                self.session,
                self.actor,
                "read",
                "meeting_item",
                item.id,
                person_id=item.person_id,
                detail={"meeting_id": str(meeting.id)},
            )
        await self.session.commit()
        return out

    async def create(self, data: MeetingCreate) -> MeetingOut:
        await self._require_case_reader()
        held_on = data.held_on or clock.today()
        if data.kind == MeetingKind.DAILY:
            await self._check_one_daily_meeting(held_on)
        meeting = CaseMeeting(
            tenant_id=self.actor.tenant_id,
            kind=data.kind,
            held_on=held_on,
            title=clean(data.title) or f"{DEFAULT_TITLES[data.kind]} {held_on.isoformat()}",
            chair_id=self.actor.user_id,
        )
        self.session.add(meeting)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "case_meeting",
            meeting.id,
            detail={"kind": meeting.kind, "held_on": held_on.isoformat()},
        )
        await self.session.commit()
        return MeetingOut(
            **msgspec.structs.asdict(meeting_summary(meeting)),
            notes=meeting.notes,
            attendees=[],
            items=[],
            actions=[],
        )

    async def close(self, meeting_id: uuid.UUID) -> MeetingOut:
        meeting = await self._open_meeting(meeting_id)
        meeting.closed_at = utcnow()
        record(self.session, self.actor, "close", "case_meeting", meeting.id)
        out = await self._detail(meeting)
        await self.session.commit()
        return out

    async def escalate(
        self, meeting_id: uuid.UUID, item_id: uuid.UUID, data: Escalation | None
    ) -> MeetingOut:
        """A complex case gets a meeting of its own, linked to where it was raised."""
        meeting = await self._open_meeting(meeting_id)
        item = await self._item(meeting, item_id)
        await self.access.require(CATEGORY, "write", item.person_id)
        if meeting.kind != MeetingKind.DAILY:
            raise RuleViolation("Only an item of a daily meeting can be escalated")
        if item.escalated:
            raise Conflict(detail="This person has already been escalated from this meeting")
        data = data or Escalation()
        held_on = data.held_on or max(clock.today(), meeting.held_on)
        if held_on < meeting.held_on:
            raise RuleViolation(
                "The complex-case meeting cannot be before the meeting it came from",
                field="held_on",
            )
        reason = clean(data.reason)
        if reason is None:
            raise RuleViolation("Enter why the case is being escalated", field="reason")
        raised = f"Escalated from the daily meeting of {meeting.held_on.isoformat()}"
        complex_case = CaseMeeting(
            tenant_id=self.actor.tenant_id,
            kind=MeetingKind.COMPLEX_CASE,
            held_on=held_on,
            title=clean(data.title) or f"Complex case: {raised.lower()}",
            escalated_from_meeting_id=meeting.id,
            escalated_person_id=item.person_id,
            escalation_reason=reason,
            chair_id=self.actor.user_id,
        )
        self.session.add(complex_case)
        await self.session.flush()
        # The person is the complex-case meeting's first item.
        first_item = MeetingItem(
            tenant_id=self.actor.tenant_id,
            meeting_id=complex_case.id,
            person_id=item.person_id,
            reason=raised,
        )
        self.session.add(first_item)
        item.escalated = True
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "escalate",
            "meeting_item",
            item.id,
            person_id=item.person_id,
            detail={
                "meeting_id": str(meeting.id),
                "complex_case_meeting_id": str(complex_case.id),
                "reason": reason,
            },
        )
        record(
            self.session,
            self.actor,
            "create",
            "case_meeting",
            complex_case.id,
            person_id=item.person_id,
            detail={"kind": MeetingKind.COMPLEX_CASE, "escalated_from_meeting_id": str(meeting.id)},
        )
        record(
            self.session,
            self.actor,
            "create",
            "meeting_item",
            first_item.id,
            person_id=item.person_id,
            detail={"meeting_id": str(complex_case.id)},
        )
        out = await self._detail(complex_case)
        await self.session.commit()
        return out

    async def escalated_to(self, meeting_id: uuid.UUID) -> list[MeetingSummary]:
        """The complex-case meetings escalated from this one, so its page can link to them.

        One about a person whose case notes are withheld from the viewer is left out: its
        existence would say the person's case was escalated."""
        meeting = await self._meeting(meeting_id)
        rows = (
            await self.session.scalars(
                select(CaseMeeting)
                .where(
                    CaseMeeting.tenant_id == self.actor.tenant_id,
                    CaseMeeting.escalated_from_meeting_id == meeting.id,
                    self._escalated_readable(),
                )
                .order_by(CaseMeeting.held_on, CaseMeeting.created_at, CaseMeeting.id)
            )
        ).all()
        found = [meeting_summary(row) for row in rows]
        for summary in found:
            record(
                self.session,
                self.actor,
                "read",
                "case_meeting",
                summary.id,
                person_id=summary.escalated_person_id,
                detail={"escalated_from_meeting_id": str(meeting.id)},
            )
        await self.session.commit()
        return found

    async def _check_one_daily_meeting(self, held_on: date) -> None:
        clash = await self.session.scalar(
            select(CaseMeeting.id).where(
                CaseMeeting.tenant_id == self.actor.tenant_id,
                CaseMeeting.kind == MeetingKind.DAILY,
                CaseMeeting.held_on == held_on,
            )
        )
        if clash is not None:
            raise Conflict(
                detail="There is already a daily meeting on this day",
                extra=[{"key": "held_on", "message": "already has a daily meeting"}],
            )
