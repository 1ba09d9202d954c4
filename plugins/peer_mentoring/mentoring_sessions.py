"""Mentoring sessions, planned (in the future) or logged as held or missed."""

from __future__ import annotations

import uuid
from datetime import UTC

from core.audit.services import record
from core.db.base import utcnow
from core.errors import RuleViolation
from core.pagination import Page, person_page
from plugins.peer_mentoring.common import (
    CLOCK_SKEW,
    PeerMentoringBase,
    clean,
    current_match,
    session_out,
)
from plugins.peer_mentoring.models import Mentor, MentoringSession, SessionStatus
from plugins.peer_mentoring.schemas import SessionCreate, SessionOut


class SessionsMixin(PeerMentoringBase):
    async def create_session(self, person_id: uuid.UUID, data: SessionCreate) -> MentoringSession:
        person = await self._person(person_id, "write")
        starts_at = data.starts_at.astimezone(UTC)
        now = utcnow()
        if data.status == SessionStatus.PLANNED and starts_at < now - CLOCK_SKEW:
            raise RuleViolation(
                "A planned session is in the future; log a past one as held or missed",
                field="status",
            )
        if (
            data.status in (SessionStatus.HELD, SessionStatus.MISSED)
            and starts_at > now + CLOCK_SKEW
        ):
            raise RuleViolation(
                f"A session cannot be {data.status} before it starts", field="starts_at"
            )
        mentor_id = data.mentor_id
        if mentor_id is None:
            match = await current_match(self.session, self.actor.tenant_id, person.id)
            if match is None:
                raise RuleViolation(
                    "The person has no mentor: give mentor_id or match a mentor first",
                    field="mentor_id",
                )
            mentor_id = match.mentor_id
        elif await self.session.get(Mentor, (self.actor.tenant_id, mentor_id)) is None:
            raise RuleViolation("No such mentor in this partnership", field="mentor_id")
        row = MentoringSession(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            mentor_id=mentor_id,
            starts_at=starts_at,
            status=data.status,
            setting=data.setting,
            duration_minutes=data.duration_minutes,
            notes=clean(data.notes),
            recorded_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "mentoring_session",
            row.id,
            person_id=person.id,
            detail={"status": row.status, "mentor_id": str(mentor_id)},
        )
        await self.session.commit()
        return row

    async def list_sessions(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[SessionOut]:
        person = await self._person(person_id, "read")
        rows, next_cursor = await person_page(
            self.session,
            self.actor,
            MentoringSession.starts_at,
            person.id,
            cursor,
            limit,
            audit_as="mentoring_session",
        )
        return Page(items=[session_out(r) for r in rows], next_cursor=next_cursor)
