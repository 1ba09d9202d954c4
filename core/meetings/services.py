"""Case meetings: HMP Perth's daily Persons of Concern Group, and complex-case meetings.

Administration is kept to what the group needs (HMP Perth's tips): who attended, each person
discussed and why, the agreed actions with their owners, the outcome. A complex case is
escalated to a meeting of its own. A closed meeting's record no longer changes, except that
its actions can still be marked done: they are followed up after the meeting.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership
from core.audit.services import record
from core.authz.access import Access
from core.db.base import utcnow
from core.errors import Conflict, RuleViolation, not_found
from core.interventions.services import get_organisation_row
from core.meetings.models import (
    CaseMeeting,
    MeetingAction,
    MeetingAttendee,
    MeetingItem,
    MeetingKind,
)
from core.meetings.schemas import (
    ActionCreate,
    ActionOut,
    ActionUpdate,
    Agenda,
    AgendaEntry,
    AgendaReason,
    AttendeeCreate,
    AttendeeOut,
    Escalation,
    ItemCreate,
    ItemOut,
    ItemUpdate,
    MeetingCreate,
    MeetingOut,
    MeetingSummary,
)
from core.pagination import Page, keyset, page_of
from core.persons.models import Person
from core.referrals.models import Referral
from core.vocabulary import RECORD_CATEGORIES

# A meeting (its date, attendees, actions without a person) is partnership business; what it
# says about a person is that person's case notes.
CATEGORY = RECORD_CATEGORIES["meeting_item"]
REFERRAL_CATEGORY = RECORD_CATEGORIES["referral"]

DEFAULT_TITLES = {
    MeetingKind.DAILY: "Daily meeting",
    MeetingKind.COMPLEX_CASE: "Complex case meeting",
}


def attendee_out(row: MeetingAttendee) -> AttendeeOut:
    return AttendeeOut(
        id=row.id,
        meeting_id=row.meeting_id,
        organisation_id=row.organisation_id,
        user_id=row.user_id,
        name=row.name,
        created_at=row.created_at,
    )


def item_out(row: MeetingItem) -> ItemOut:
    return ItemOut(
        id=row.id,
        meeting_id=row.meeting_id,
        person_id=row.person_id,
        reason=row.reason,
        discussion=row.discussion,
        outcome=row.outcome,
        escalated=row.escalated,
        created_at=row.created_at,
    )


def action_out(row: MeetingAction) -> ActionOut:
    return ActionOut(
        id=row.id,
        meeting_id=row.meeting_id,
        item_id=row.item_id,
        description=row.description,
        owner_organisation_id=row.owner_organisation_id,
        owner_user_id=row.owner_user_id,
        due_on=row.due_on,
        completed_at=row.completed_at,
        created_at=row.created_at,
    )


def meeting_summary(row: CaseMeeting, person_readable: bool = True) -> MeetingSummary:
    return MeetingSummary(
        id=row.id,
        kind=row.kind,
        held_on=row.held_on,
        title=row.title,
        chair_id=row.chair_id,
        closed_at=row.closed_at,
        escalated_from_meeting_id=row.escalated_from_meeting_id,
        # Who a complex case is about is withheld like the items about them.
        escalated_person_id=row.escalated_person_id if person_readable else None,
        created_at=row.created_at,
    )


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class MeetingService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    def _escalated_readable(self) -> ColumnElement[bool]:
        return or_(
            CaseMeeting.escalated_person_id.is_(None),
            self.access.person_filter(CATEGORY, person_id=CaseMeeting.escalated_person_id),
        )

    # -- meetings -------------------------------------------------------------------------

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
        held_on = data.held_on or date.today()
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

    # -- attendees, items, actions ----------------------------------------------------------

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

    async def add_action(self, meeting_id: uuid.UUID, data: ActionCreate) -> MeetingAction:
        meeting = await self._open_meeting(meeting_id)
        item = await self._item(meeting, data.item_id) if data.item_id is not None else None
        if item is not None:
            # An action agreed about a person is part of what was said about them.
            await self.access.require(CATEGORY, "write", item.person_id)
        await get_organisation_row(self.session, self.actor, data.owner_organisation_id)
        if data.owner_user_id is not None:
            await self._check_member(
                data.owner_user_id, data.owner_organisation_id, "owner_user_id"
            )
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
            detail={"meeting_id": str(meeting.id)},
        )
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
        person_id = None
        if action.item_id is not None:
            item = await self.session.get(MeetingItem, (self.actor.tenant_id, action.item_id))
            person_id = item.person_id if item else None
        fields = sorted([*changes, *(["completed"] if completed is not None else [])])
        record(
            self.session,
            self.actor,
            "update",
            "meeting_action",
            action.id,
            person_id=person_id,
            detail={"meeting_id": str(meeting.id), "fields": fields},
        )
        await self.session.commit()
        return action

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
        held_on = data.held_on or max(date.today(), meeting.held_on)
        if held_on < meeting.held_on:
            raise RuleViolation(
                "The complex-case meeting cannot be before the meeting it came from",
                field="held_on",
            )
        raised = f"Escalated from the daily meeting of {meeting.held_on.isoformat()}"
        complex_case = CaseMeeting(
            tenant_id=self.actor.tenant_id,
            kind=MeetingKind.COMPLEX_CASE,
            held_on=held_on,
            title=clean(data.title) or f"Complex case: {raised.lower()}",
            escalated_from_meeting_id=meeting.id,
            escalated_person_id=item.person_id,
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
            detail={"meeting_id": str(meeting.id), "complex_case_meeting_id": str(complex_case.id)},
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

    async def earlier_open_actions(
        self, meeting_id: uuid.UUID
    ) -> dict[uuid.UUID, list[AgendaReason]]:
        """Per person on this meeting, the actions still open from earlier meetings, so
        they can be followed up (and marked done) where the person is discussed."""
        meeting = await self._meeting(meeting_id)
        tenant_id = self.actor.tenant_id
        on_meeting = select(MeetingItem.person_id).where(
            MeetingItem.tenant_id == tenant_id, MeetingItem.meeting_id == meeting.id
        )
        rows = await self.session.execute(
            select(MeetingAction, CaseMeeting, MeetingItem.person_id)
            .join(
                MeetingItem,
                (MeetingItem.tenant_id == MeetingAction.tenant_id)
                & (MeetingItem.id == MeetingAction.item_id),
            )
            .join(
                CaseMeeting,
                (CaseMeeting.tenant_id == MeetingAction.tenant_id)
                & (CaseMeeting.id == MeetingAction.meeting_id),
            )
            .where(
                MeetingAction.tenant_id == tenant_id,
                MeetingAction.completed_at.is_(None),
                MeetingAction.meeting_id != meeting.id,
                CaseMeeting.held_on <= meeting.held_on,
                MeetingItem.person_id.in_(on_meeting),
                self.access.person_filter(CATEGORY, person_id=MeetingItem.person_id),
            )
            .order_by(CaseMeeting.held_on, MeetingAction.created_at, MeetingAction.id)
        )
        found: dict[uuid.UUID, list[AgendaReason]] = {}
        for action, earlier, person_id in rows.all():
            found.setdefault(person_id, []).append(
                AgendaReason(
                    why="open_action",
                    record_id=action.id,
                    meeting_id=earlier.id,
                    held_on=earlier.held_on,
                    description=action.description,
                    due_on=action.due_on,
                )
            )
        for person_id, reasons in found.items():
            record(
                self.session,
                self.actor,
                "list",
                "meeting_action",
                person_id=person_id,
                detail={"meeting_id": str(meeting.id), "returned": len(reasons)},
            )
        await self.session.commit()
        return found

    # -- the agenda --------------------------------------------------------------------------

    async def agenda(self, on: date | None) -> Agenda:
        """Who to discuss on ``on`` (today by default): persons referred since the previous
        daily meeting, and persons with an action still open from an earlier meeting.

        "Since the previous daily meeting" counts from the start of that meeting's day, not
        from when it closed: a referral received that day may show twice, but a meeting
        closed late never hides one. With no previous meeting, the day before counts.
        """
        await self._require_case_reader()
        on = on or date.today()
        tenant_id = self.actor.tenant_id
        previous = await self.session.scalar(
            select(CaseMeeting)
            .where(
                CaseMeeting.tenant_id == tenant_id,
                CaseMeeting.kind == MeetingKind.DAILY,
                CaseMeeting.held_on < on,
            )
            .order_by(CaseMeeting.held_on.desc(), CaseMeeting.id.desc())
            .limit(1)
        )
        since = day_start(previous.held_on if previous else on - timedelta(days=1))
        until = day_start(on + timedelta(days=1))
        people: dict[uuid.UUID, Person] = {}
        reasons: dict[uuid.UUID, list[AgendaReason]] = {}

        withheld: set[uuid.UUID] = set()
        # Names are identity; why someone is suggested is their case notes. Both are decided
        # in the query: a person whose reasons are all withheld is counted, never shown.
        named = self.access.person_filter("identity", person_id=Person.id)
        referrals = await self.session.execute(
            select(
                Referral,
                Person,
                (named & self.access.person_filter(REFERRAL_CATEGORY, person_id=Person.id)).label(
                    "readable"
                ),
            )
            .join(
                Person, (Person.tenant_id == Referral.tenant_id) & (Person.id == Referral.person_id)
            )
            .where(
                Referral.tenant_id == tenant_id,
                Referral.received_at >= since,
                Referral.received_at < until,
            )
            .order_by(Referral.received_at, Referral.id)
        )
        for referral, person, readable in referrals.all():
            if not readable:
                withheld.add(person.id)
                continue
            people[person.id] = person
            reasons.setdefault(person.id, []).append(
                AgendaReason(
                    why="referral",
                    record_id=referral.id,
                    referral_source=referral.source,
                    received_at=referral.received_at,
                )
            )

        open_actions = await self.session.execute(
            select(
                MeetingAction,
                CaseMeeting,
                Person,
                (named & self.access.person_filter(CATEGORY, person_id=Person.id)).label(
                    "readable"
                ),
            )
            .join(
                MeetingItem,
                (MeetingItem.tenant_id == MeetingAction.tenant_id)
                & (MeetingItem.id == MeetingAction.item_id),
            )
            .join(
                CaseMeeting,
                (CaseMeeting.tenant_id == MeetingAction.tenant_id)
                & (CaseMeeting.id == MeetingAction.meeting_id),
            )
            .join(
                Person,
                (Person.tenant_id == MeetingItem.tenant_id) & (Person.id == MeetingItem.person_id),
            )
            .where(
                MeetingAction.tenant_id == tenant_id,
                MeetingAction.completed_at.is_(None),
                CaseMeeting.held_on < on,
            )
            .order_by(CaseMeeting.held_on, MeetingAction.created_at, MeetingAction.id)
        )
        for action, meeting, person, readable in open_actions.all():
            if not readable:
                withheld.add(person.id)
                continue
            people[person.id] = person
            reasons.setdefault(person.id, []).append(
                AgendaReason(
                    why="open_action",
                    record_id=action.id,
                    meeting_id=meeting.id,
                    held_on=meeting.held_on,
                    description=action.description,
                    due_on=action.due_on,
                )
            )

        ordered = sorted(people.values(), key=lambda p: (p.sort_name, str(p.id)))
        withheld -= set(people)
        record(
            self.session,
            self.actor,
            "list",
            "meeting_agenda",
            detail={"date": on.isoformat(), "returned": len(ordered), "withheld": len(withheld)},
        )
        await self.session.commit()
        return Agenda(
            date=on,
            previous_meeting_id=previous.id if previous else None,
            previous_held_on=previous.held_on if previous else None,
            referrals_since=since,
            persons=[
                AgendaEntry(
                    person_id=p.id,
                    given_name=p.given_name,
                    family_name=p.family_name,
                    prison_number=p.prison_number,
                    reasons=reasons[p.id],
                )
                for p in ordered
            ],
            withheld=len(withheld),
        )

    # -- helpers -------------------------------------------------------------------------------

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

    @staticmethod
    def _check_due_on(due_on: date | None, meeting: CaseMeeting) -> None:
        if due_on is not None and due_on < meeting.held_on:
            raise RuleViolation("An action cannot be due before the meeting", field="due_on")

    async def _detail(self, meeting: CaseMeeting) -> MeetingOut:
        tenant_id = self.actor.tenant_id

        async def children(model: Any) -> list[Any]:
            stmt = (
                select(model)
                .where(model.tenant_id == tenant_id, model.meeting_id == meeting.id)
                .order_by(model.created_at, model.id)
            )
            return list((await self.session.scalars(stmt)).all())

        # Which items (and the actions about them) the viewer may read is decided in SQL,
        # with the rows: one query each, no check per item.
        items = (
            await self.session.execute(
                select(
                    MeetingItem,
                    self.access.person_filter(CATEGORY, person_id=MeetingItem.person_id).label(
                        "readable"
                    ),
                )
                .where(MeetingItem.tenant_id == tenant_id, MeetingItem.meeting_id == meeting.id)
                .order_by(MeetingItem.created_at, MeetingItem.id)
            )
        ).all()
        actions = (
            await self.session.execute(
                select(
                    MeetingAction,
                    or_(
                        MeetingAction.item_id.is_(None),
                        self.access.person_filter(CATEGORY, person_id=MeetingItem.person_id),
                    ).label("readable"),
                )
                .outerjoin(
                    MeetingItem,
                    (MeetingItem.tenant_id == MeetingAction.tenant_id)
                    & (MeetingItem.id == MeetingAction.item_id),
                )
                .where(MeetingAction.tenant_id == tenant_id, MeetingAction.meeting_id == meeting.id)
                .order_by(MeetingAction.created_at, MeetingAction.id)
            )
        ).all()
        escalated_readable = meeting.escalated_person_id is None or any(
            readable for item, readable in items if item.person_id == meeting.escalated_person_id
        )
        summary = meeting_summary(meeting, escalated_readable)
        return MeetingOut(
            **msgspec.structs.asdict(summary),
            notes=meeting.notes,
            attendees=[attendee_out(a) for a in await children(MeetingAttendee)],
            items=[item_out(i) for i, readable in items if readable],
            actions=[action_out(a) for a, readable in actions if readable],
            withheld_items=sum(1 for _, readable in items if not readable),
            withheld_actions=sum(1 for _, readable in actions if not readable),
        )
