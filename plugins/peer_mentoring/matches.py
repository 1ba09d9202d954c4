"""Matches: only a cleared, active mentor; one current match per person; a match is an
allocation, and ending it takes back only the access it gave.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.audit.services import record
from core.authz.models import PersonAssignment
from core.authz.relations import decide_assignment, decide_organisation, unassign
from core.clock import today as local_today
from core.errors import Conflict, RuleViolation, not_found
from core.pagination import Page, person_page
from core.persons.models import Person
from plugins.peer_mentoring.common import MENTOR_REASON, PeerMentoringBase, current_match, match_out
from plugins.peer_mentoring.models import (
    GateAppointment,
    GateStatus,
    Mentor,
    MentorMatch,
    VettingStatus,
)
from plugins.peer_mentoring.schemas import MatchCreate, MatchEnd, MatchOut


class MatchesMixin(PeerMentoringBase):
    async def match(self, data: MatchCreate) -> MentorMatch:
        person = await self._person(data.person_id, "write")
        await self.session.execute(
            select(Person.id)
            .where(Person.tenant_id == self.actor.tenant_id, Person.id == person.id)
            .with_for_update()
        )
        mentor = await self.session.get(Mentor, (self.actor.tenant_id, data.mentor_id))
        if mentor is None:
            raise RuleViolation("No such mentor in this partnership", field="mentor_id")
        if mentor.vetting_status != VettingStatus.CLEARED:
            raise RuleViolation(
                f"Only a cleared mentor can be matched; this mentor's vetting is "
                f"{mentor.vetting_status}",
                field="mentor_id",
            )
        if not mentor.is_active:
            raise RuleViolation("This mentor is no longer active", field="mentor_id")
        started_on = data.started_on or local_today()
        if started_on > local_today():
            raise RuleViolation("A match cannot start in the future", field="started_on")
        existing = await current_match(self.session, self.actor.tenant_id, person.id)
        if existing is not None:
            message = "The person already has a mentor: end that match first"
            raise Conflict(
                detail=message, extra=[{"key": "person_id", "message": str(existing.id)}]
            )
        row = MentorMatch(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            mentor_id=mentor.id,
            started_on=started_on,
            matched_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        # A gate appointment made before anyone was matched now has its mentor.
        unassigned = (
            await self.session.scalars(
                select(GateAppointment).where(
                    GateAppointment.tenant_id == self.actor.tenant_id,
                    GateAppointment.person_id == person.id,
                    GateAppointment.status == GateStatus.SCHEDULED,
                    GateAppointment.mentor_id.is_(None),
                )
            )
        ).all()
        for appointment in unassigned:
            appointment.mentor_id = mentor.id
        # The mentor works with the person now: the protocol's "assigned" scope for a
        # mentor who signs in, and their organisation's "own_organisation" scope.
        # A match is an allocation: the protocol must entitle whoever makes it.
        await decide_assignment(self.access, person.id, mentor.user_id, MENTOR_REASON)
        await decide_organisation(self.access, person.id, mentor.organisation_id, "peer mentor")
        self.access.forget(person.id)
        record(
            self.session,
            self.actor,
            "create",
            "mentor_match",
            row.id,
            person_id=person.id,
            detail={"mentor_id": str(mentor.id), "gate_appointments_assigned": len(unassigned)},
        )
        await self.session.commit()
        return row

    async def end_match(self, match_id: uuid.UUID, data: MatchEnd) -> MentorMatch:
        row = await self.session.get(
            MentorMatch, (self.actor.tenant_id, match_id), with_for_update=True
        )
        if row is None:
            raise not_found("Match")
        await self._person(row.person_id, "write")
        if row.ended_on is not None:
            raise Conflict(
                detail="This match has already ended",
                extra=[{"key": "ended_on", "message": row.ended_on.isoformat()}],
            )
        ended_on = data.ended_on or local_today()
        if ended_on < row.started_on or ended_on > local_today():
            raise RuleViolation("A match ends between its start and today", field="ended_on")
        row.ended_on = ended_on
        row.end_reason = data.reason.strip()
        mentor = await self.session.get(Mentor, (self.actor.tenant_id, row.mentor_id))
        if mentor is not None and mentor.user_id is not None:
            held = await self.session.get(
                PersonAssignment, (self.actor.tenant_id, mentor.user_id, row.person_id)
            )
            # Only the access the match gave is taken back (not a key worker's, say).
            if held is not None and held.reason == MENTOR_REASON:
                await unassign(self.session, self.actor.tenant_id, row.person_id, mentor.user_id)
                self.access.forget(row.person_id)
        record(
            self.session,
            self.actor,
            "update",
            "mentor_match",
            row.id,
            person_id=row.person_id,
            detail={"ended_on": ended_on.isoformat()},
        )
        await self.session.commit()
        return row

    async def list_matches(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[MatchOut]:
        person = await self._person(person_id, "read")
        rows, next_cursor = await person_page(
            self.session,
            self.actor,
            MentorMatch.started_on,
            person.id,
            cursor,
            limit,
            audit_as="mentor_match",
        )
        return Page(items=[match_out(r) for r in rows], next_cursor=next_cursor)
