"""Who attended, and each person discussed: why, what was said, and the outcome."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import func, select

from core.audit.services import record
from core.errors import Conflict, RuleViolation
from core.interventions.services import get_organisation_row
from core.meetings.base import MeetingBase
from core.meetings.models import MeetingAttendee, MeetingItem
from core.meetings.outputs import CATEGORY, clean
from core.meetings.schemas import AttendeeCreate, ItemCreate, ItemUpdate


class MeetingItems(MeetingBase):
    async def add_attendee(self, meeting_id: uuid.UUID, data: AttendeeCreate) -> MeetingAttendee:
        meeting = await self._open_meeting(meeting_id)
        await get_organisation_row(self.session, self.actor, data.organisation_id)
        name = clean(data.name)
        if name is None:
            raise RuleViolation("The attendee's name is blank", field="name")
        if data.user_id is not None:
            await self._check_member(data.user_id, data.organisation_id, "user_id")
        already = await self.session.scalar(
            select(MeetingAttendee.id).where(
                MeetingAttendee.tenant_id == self.actor.tenant_id,
                MeetingAttendee.meeting_id == meeting.id,
                (MeetingAttendee.user_id == data.user_id)
                if data.user_id is not None
                else (
                    (MeetingAttendee.organisation_id == data.organisation_id)
                    & (func.lower(MeetingAttendee.name) == name.lower())
                ),
            )
        )
        if already is not None:
            raise Conflict(
                detail="This attendee is already recorded for the meeting",
                extra=[{"key": "user_id" if data.user_id else "name", "message": "already here"}],
            )
        attendee = MeetingAttendee(
            tenant_id=self.actor.tenant_id,
            meeting_id=meeting.id,
            organisation_id=data.organisation_id,
            user_id=data.user_id,
            name=name,
        )
        self.session.add(attendee)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "meeting_attendee",
            attendee.id,
            detail={"meeting_id": str(meeting.id)},
        )
        await self.session.commit()
        return attendee

    async def add_item(self, meeting_id: uuid.UUID, data: ItemCreate) -> MeetingItem:
        meeting = await self._open_meeting(meeting_id)
        person = await self.access.visible_person(data.person_id)
        await self.access.require(CATEGORY, "write", person.id)
        already = await self.session.scalar(
            select(MeetingItem.id).where(
                MeetingItem.tenant_id == self.actor.tenant_id,
                MeetingItem.meeting_id == meeting.id,
                MeetingItem.person_id == person.id,
            )
        )
        if already is not None:
            raise Conflict(
                detail="This person is already on the meeting's agenda",
                extra=[{"key": "person_id", "message": "already on the agenda"}],
            )
        item = MeetingItem(
            tenant_id=self.actor.tenant_id,
            meeting_id=meeting.id,
            person_id=person.id,
            reason=clean(data.reason),
            discussion=clean(data.discussion),
            outcome=clean(data.outcome),
        )
        self.session.add(item)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "meeting_item",
            item.id,
            person_id=person.id,
            detail={"meeting_id": str(meeting.id)},
        )
        await self.session.commit()
        return item

    async def update_item(
        self, meeting_id: uuid.UUID, item_id: uuid.UUID, data: ItemUpdate
    ) -> MeetingItem:
        meeting = await self._open_meeting(meeting_id)
        item = await self._item(meeting, item_id)
        await self.access.require(CATEGORY, "write", item.person_id)
        changes = {
            name: clean(value)
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        for name, value in changes.items():
            setattr(item, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "meeting_item",
            item.id,
            person_id=item.person_id,
            detail={"meeting_id": str(meeting.id), "fields": sorted(changes)},
        )
        await self.session.commit()
        return item
