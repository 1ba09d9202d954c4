"""Who to discuss: the suggested agenda of a daily meeting, and the actions still open
from earlier meetings about the people on one.

Names are identity; why someone is suggested is their case notes (or their referral).
Both are decided in the query: a person whose reasons are all withheld is counted, never
shown. Each open action says whether the viewer may mark it done (the write decision, in
the same query), so a page offers the button only to those it would not refuse.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from core import clock
from core.audit.services import record
from core.meetings.base import MeetingBase, with_owner
from core.meetings.models import CaseMeeting, MeetingAction, MeetingItem, MeetingKind
from core.meetings.outputs import CATEGORY, REFERRAL_CATEGORY, day_start
from core.meetings.schemas import Agenda, AgendaEntry, AgendaReason
from core.persons.models import Person
from core.referrals.models import Referral, ReferralDecision


def open_action_reason(
    action: MeetingAction,
    meeting: CaseMeeting,
    writable: object,
    organisation_name: str | None,
    user_name: str | None,
) -> AgendaReason:
    return AgendaReason(
        why="open_action",
        record_id=action.id,
        meeting_id=meeting.id,
        held_on=meeting.held_on,
        description=action.description,
        due_on=action.due_on,
        owner_organisation_id=action.owner_organisation_id,
        owner_organisation_name=organisation_name,
        owner_user_id=action.owner_user_id,
        owner_user_name=user_name,
        writable=bool(writable),
    )


class MeetingAgenda(MeetingBase):
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
            with_owner(
                select(
                    MeetingAction,
                    CaseMeeting,
                    MeetingItem.person_id,
                    self._action_writable(),
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
        for action, earlier, person_id, writable, org, user in rows.all():
            found.setdefault(person_id, []).append(
                open_action_reason(action, earlier, writable, org, user)
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

    async def agenda(self, on: date | None) -> Agenda:
        """Who to discuss on ``on`` (today by default): persons referred since the previous
        daily meeting, persons who declined an offer since then, and persons with an action
        still open from an earlier meeting.

        "Since the previous daily meeting" counts from the start of that meeting's day, not
        from when it closed: a referral received that day may show twice, but a meeting
        closed late never hides one. With no previous meeting, the day before counts.
        """
        await self._require_case_reader()
        on = on or clock.today()
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
        named = self.access.person_filter("identity", person_id=Person.id)

        # New referrals since the previous meeting, and (HMP Perth: "the group always reviews
        # and considers what more they can do") offers declined since then, once: one read.
        received = (Referral.received_at >= since) & (Referral.received_at < until)
        declined = (
            (Referral.decision == ReferralDecision.DECLINED)
            & (Referral.decided_at >= since)
            & (Referral.decided_at < until)
        )
        referrals = await self.session.execute(
            select(
                Referral,
                Person,
                named & self.access.person_filter(REFERRAL_CATEGORY, person_id=Person.id),
                received,
                declined,
            )
            .join(
                Person, (Person.tenant_id == Referral.tenant_id) & (Person.id == Referral.person_id)
            )
            .where(Referral.tenant_id == tenant_id, received | declined)
            .order_by(Referral.received_at, Referral.id)
        )
        for referral, person, readable, is_new, was_declined in referrals.all():
            if not readable:
                withheld.add(person.id)
                continue
            people[person.id] = person
            found = reasons.setdefault(person.id, [])
            common = {
                "record_id": referral.id,
                "referral_source": referral.source,
                "received_at": referral.received_at,
            }
            if is_new:
                found.append(AgendaReason(why="referral", **common))
            if was_declined:
                found.append(
                    AgendaReason(why="declined_offer", decided_at=referral.decided_at, **common)
                )

        open_actions = await self.session.execute(
            with_owner(
                select(
                    MeetingAction,
                    CaseMeeting,
                    Person,
                    named & self.access.person_filter(CATEGORY, person_id=Person.id),
                    self.access.person_filter(CATEGORY, "write", person_id=Person.id),
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
                    (Person.tenant_id == MeetingItem.tenant_id)
                    & (Person.id == MeetingItem.person_id),
                )
            )
            .where(
                MeetingAction.tenant_id == tenant_id,
                MeetingAction.completed_at.is_(None),
                CaseMeeting.held_on < on,
            )
            .order_by(CaseMeeting.held_on, MeetingAction.created_at, MeetingAction.id)
        )
        for action, meeting, person, readable, writable, org, user in open_actions.all():
            if not readable:
                withheld.add(person.id)
                continue
            people[person.id] = person
            reasons.setdefault(person.id, []).append(
                open_action_reason(action, meeting, writable, org, user)
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
