"""The actions a meeting agrees: an owning organisation and, optionally, a named person.

A named owner must be an active member of the owning organisation in this partnership.
They get the action in My tasks (a task keyed ``meeting-action:<action id>``, titled
generically like every task: what was agreed about a person is that person's case notes),
and the task closes when the action is marked done, from whichever page.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import select, update

from core.accounts.models import Membership, User
from core.audit.services import record
from core.db.base import utcnow
from core.errors import Conflict, RuleViolation, not_found
from core.interventions.services import get_organisation_row
from core.meetings.base import MeetingBase
from core.meetings.models import CaseMeeting, MeetingAction, MeetingItem, MeetingKind
from core.meetings.outputs import CATEGORY, clean
from core.meetings.schemas import ActionCreate, ActionUpdate
from core.notifications.models import Notification
from core.notifications.services import notify
from core.tenancy.models import Organisation

TASK_KIND = "meeting_action"
TASK_TITLES = {
    MeetingKind.DAILY: "Action from the daily meeting",
    MeetingKind.COMPLEX_CASE: "Action from a complex case meeting",
}


def task_key(action_id: uuid.UUID) -> str:
    return f"meeting-action:{action_id}"


class MeetingActions(MeetingBase):
    async def add_action(self, meeting_id: uuid.UUID, data: ActionCreate) -> MeetingAction:
        meeting = await self._open_meeting(meeting_id)
        item = await self._item(meeting, data.item_id) if data.item_id is not None else None
        if item is not None:
            # An action agreed about a person is part of what was said about them.
            await self.access.require(CATEGORY, "write", item.person_id)
        organisation = await get_organisation_row(
            self.session, self.actor, data.owner_organisation_id
        )
        if data.owner_user_id is not None:
            await self._check_owner(data.owner_user_id, organisation)
        description = clean(data.description)
        if description is None:
            raise RuleViolation("The action's description is blank", field="description")
        self._check_due_on(data.due_on, meeting)
        action = MeetingAction(
            tenant_id=self.actor.tenant_id,
            meeting_id=meeting.id,
            item_id=item.id if item else None,
            description=description,
            owner_organisation_id=data.owner_organisation_id,
            owner_user_id=data.owner_user_id,
            due_on=data.due_on,
        )
        self.session.add(action)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "meeting_action",
            action.id,
            person_id=item.person_id if item else None,
            detail={
                "meeting_id": str(meeting.id),
                "owner_user_id": str(action.owner_user_id) if action.owner_user_id else None,
            },
        )
        await self._give_task(meeting, action, item)
        await self.session.commit()
        return action

    async def update_action(
        self, meeting_id: uuid.UUID, action_id: uuid.UUID, data: ActionUpdate
    ) -> MeetingAction:
        meeting = await self._meeting(meeting_id, for_update=True)
        action = await self.session.get(
            MeetingAction, (self.actor.tenant_id, action_id), with_for_update=True
        )
        if action is None or action.meeting_id != meeting.id:
            raise not_found("Meeting action")
        about = None
        if action.item_id is not None:
            about = await self.session.get(MeetingItem, (self.actor.tenant_id, action.item_id))
            if about is not None:
                await self.access.require(CATEGORY, "write", about.person_id)
        changes: dict[str, Any] = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if meeting.closed_at is not None and set(changes) - {"completed"}:
            raise Conflict(
                detail="The meeting is closed: its actions can only be marked done or not done"
            )
        if "description" in changes:
            changes["description"] = clean(changes["description"])
            if changes["description"] is None:
                raise RuleViolation("The action's description is blank", field="description")
        if "due_on" in changes:
            self._check_due_on(changes["due_on"], meeting)
        completed = changes.pop("completed", None)
        if completed is True and action.completed_at is None:
            action.completed_at = utcnow()
        elif completed is False:
            action.completed_at = None
        for name, value in changes.items():
            setattr(action, name, value)
        fields = sorted([*changes, *(["completed"] if completed is not None else [])])
        record(
            self.session,
            self.actor,
            "update",
            "meeting_action",
            action.id,
            person_id=about.person_id if about else None,
            detail={"meeting_id": str(meeting.id), "fields": fields},
        )
        await self._follow_task(action, completed)
        await self.session.commit()
        return action

    async def _check_owner(self, user_id: uuid.UUID, organisation: Organisation) -> None:
        """The named owner is an active member of the owning organisation here."""
        found = (
            await self.session.execute(
                select(User.display_name, Membership.organisation_id)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.tenant_id == self.actor.tenant_id,
                    Membership.user_id == user_id,
                    Membership.is_active.is_(True),
                    User.is_active.is_(True),
                )
            )
        ).first()
        if found is None:
            raise RuleViolation("No such member of this partnership", field="owner_user_id")
        name, organisation_id = found
        if organisation_id != organisation.id:
            raise RuleViolation(
                f"{name} is not a member of {organisation.name}: choose one of its members",
                field="owner_user_id",
            )

    async def _give_task(
        self, meeting: CaseMeeting, action: MeetingAction, item: MeetingItem | None
    ) -> None:
        if action.owner_user_id is None:
            return
        link = f"/t/{self.actor.tenant_slug}/meetings/{meeting.id}"
        await notify(
            self.session,
            self.actor.tenant_id,
            [action.owner_user_id],
            kind=TASK_KIND,
            title=TASK_TITLES.get(MeetingKind(meeting.kind), "Action from a meeting"),
            link=f"{link}#item-{item.id}" if item else link,
            key=task_key(action.id),
            due_date=action.due_on,
            person_id=item.person_id if item else None,
        )

    async def _follow_task(self, action: MeetingAction, completed: bool | None) -> None:
        """The owner's task follows the action: closed when it is done, reopened when it is
        marked not done, and due when it is due."""
        mine = (
            Notification.tenant_id == self.actor.tenant_id,
            Notification.key == task_key(action.id),
        )
        values: dict[str, Any] = {"due_date": action.due_on}
        if completed is False:
            values["done_at"] = None
        await self.session.execute(
            update(Notification)
            .where(*mine)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if action.completed_at is not None:
            await self.session.execute(
                update(Notification)
                .where(*mine, Notification.done_at.is_(None))
                .values(done_at=utcnow())
                .execution_options(synchronize_session=False)
            )
