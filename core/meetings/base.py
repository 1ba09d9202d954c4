"""What every part of the meeting service shares: finding a meeting, item or member in the
acting tenant, the checks that guard a change, and one meeting read whole.

Which rows the viewer may read, and which they may change, is decided in SQL with the rows
(:meth:`Access.person_filter` for read and for write): one query per kind of row, no
check per item, and the same decision as :meth:`Access.require` makes for the write.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.authz.access import Access
from core.errors import Conflict, RuleViolation, not_found
from core.meetings.models import CaseMeeting, MeetingAction, MeetingAttendee, MeetingItem
from core.meetings.outputs import CATEGORY, action_out, attendee_out, item_out, meeting_summary
from core.meetings.schemas import MeetingOut
from core.tenancy.models import Organisation


def with_owner(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (over MeetingAction) with the owning organisation's and person's names."""
    return (
        stmt.add_columns(Organisation.name, User.display_name)
        .outerjoin(
            Organisation,
            (Organisation.tenant_id == MeetingAction.tenant_id)
            & (Organisation.id == MeetingAction.owner_organisation_id),
        )
        .outerjoin(User, User.id == MeetingAction.owner_user_id)
    )


class MeetingBase:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    def _escalated_readable(self) -> ColumnElement[bool]:
        return or_(
            CaseMeeting.escalated_person_id.is_(None),
            self.access.person_filter(CATEGORY, person_id=CaseMeeting.escalated_person_id),
        )

    def _action_writable(self) -> ColumnElement[bool]:
        """Whether the viewer may mark an action done (outer-joined to its item): one about
        a person needs their case notes' write; one about no one is partnership business."""
        return or_(
            MeetingAction.item_id.is_(None),
            self.access.person_filter(CATEGORY, "write", person_id=MeetingItem.person_id),
        )

    async def _require_case_reader(self) -> None:
        """Meetings are case data: their notes and attendees are for members who may read
        case notes for someone, never for a role (an analyst) the protocol gives none."""
        await self.access.require_tenant(CATEGORY, "read")

    async def _meeting(self, meeting_id: uuid.UUID, *, for_update: bool = False) -> CaseMeeting:
        await self._require_case_reader()
        meeting = await self.session.get(
            CaseMeeting, (self.actor.tenant_id, meeting_id), with_for_update=for_update
        )
        if meeting is None:
            raise not_found("Meeting")
        return meeting

    async def _open_meeting(self, meeting_id: uuid.UUID) -> CaseMeeting:
        # Locked (on PostgreSQL) so a change and the meeting's closing cannot interleave.
        meeting = await self._meeting(meeting_id, for_update=True)
        if meeting.closed_at is not None:
            raise Conflict(detail="The meeting is closed and can no longer be changed")
        return meeting

    async def _item(self, meeting: CaseMeeting, item_id: uuid.UUID) -> MeetingItem:
        item = await self.session.get(
            MeetingItem, (self.actor.tenant_id, item_id), with_for_update=True
        )
        if item is None or item.meeting_id != meeting.id:
            raise not_found("Meeting item")
        return item

    async def _check_member(
        self, user_id: uuid.UUID, organisation_id: uuid.UUID, field: str
    ) -> None:
        membership = await self.session.scalar(
            select(Membership).where(
                Membership.tenant_id == self.actor.tenant_id,
                Membership.user_id == user_id,
                Membership.is_active.is_(True),
            )
        )
        if membership is None:
            raise RuleViolation("No such member of this partnership", field=field)
        if membership.organisation_id != organisation_id:
            raise RuleViolation("The user is a member of a different organisation", field=field)

    @staticmethod
    def _check_due_on(due_on: date | None, meeting: CaseMeeting) -> None:
        if due_on is not None and due_on < meeting.held_on:
            raise RuleViolation("An action cannot be due before the meeting", field="due_on")

    async def _detail(self, meeting: CaseMeeting) -> MeetingOut:
        tenant_id = self.actor.tenant_id
        attendees = await self.session.scalars(
            select(MeetingAttendee)
            .where(MeetingAttendee.tenant_id == tenant_id, MeetingAttendee.meeting_id == meeting.id)
            .order_by(MeetingAttendee.created_at, MeetingAttendee.id)
        )
        items = (
            await self.session.execute(
                select(
                    MeetingItem,
                    self.access.person_filter(CATEGORY, person_id=MeetingItem.person_id),
                    self.access.person_filter(CATEGORY, "write", person_id=MeetingItem.person_id),
                )
                .where(MeetingItem.tenant_id == tenant_id, MeetingItem.meeting_id == meeting.id)
                .order_by(MeetingItem.created_at, MeetingItem.id)
            )
        ).all()
        actions = (
            await self.session.execute(
                with_owner(
                    select(
                        MeetingAction,
                        or_(
                            MeetingAction.item_id.is_(None),
                            self.access.person_filter(CATEGORY, person_id=MeetingItem.person_id),
                        ),
                        self._action_writable(),
                    ).outerjoin(
                        MeetingItem,
                        (MeetingItem.tenant_id == MeetingAction.tenant_id)
                        & (MeetingItem.id == MeetingAction.item_id),
                    )
                )
                .where(MeetingAction.tenant_id == tenant_id, MeetingAction.meeting_id == meeting.id)
                .order_by(MeetingAction.created_at, MeetingAction.id)
            )
        ).all()
        escalated_readable = meeting.escalated_person_id is None or any(
            readable for item, readable, _ in items if item.person_id == meeting.escalated_person_id
        )
        summary = meeting_summary(meeting, escalated_readable)
        return MeetingOut(
            **msgspec.structs.asdict(summary),
            notes=meeting.notes,
            attendees=[attendee_out(a) for a in attendees.all()],
            items=[item_out(i, bool(w)) for i, readable, w in items if readable],
            actions=[
                action_out(a, organisation_name=org, user_name=user, writable=bool(w))
                for a, readable, w, org, user in actions
                if readable
            ],
            withheld_items=sum(1 for _, readable, _ in items if not readable),
            withheld_actions=sum(1 for _, readable, *_ in actions if not readable),
        )
