"""Family support sessions, logged once they have happened."""

from __future__ import annotations

import uuid
from datetime import UTC

from core.audit.services import record
from core.db.base import utcnow
from core.errors import RuleViolation
from core.pagination import Page, person_page
from plugins.family_support.common import CLOCK_SKEW, FamilySupportBase, clean, session_out
from plugins.family_support.models import FamilyContact, FamilySession
from plugins.family_support.schemas import SessionCreate, SessionOut


class SessionsMixin(FamilySupportBase):
    async def create_session(self, person_id: uuid.UUID, data: SessionCreate) -> FamilySession:
        person = await self._person(person_id, "write")
        occurred_at = data.occurred_at.astimezone(UTC)
        if occurred_at > utcnow() + CLOCK_SKEW:
            raise RuleViolation("A session cannot be logged in the future", field="occurred_at")
        if occurred_at.date() < person.date_of_birth:
            raise RuleViolation(
                "The session is dated before the person's date of birth", field="occurred_at"
            )
        if data.contact_id is not None:
            contact = await self.session.get(FamilyContact, (self.actor.tenant_id, data.contact_id))
            if contact is None or contact.person_id != person.id:
                raise RuleViolation(
                    "The family contact is not one of this person's contacts", field="contact_id"
                )
        row = FamilySession(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            contact_id=data.contact_id,
            organisation_id=self.actor.organisation_id,
            kind=data.kind,
            occurred_at=occurred_at,
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
            "family_session",
            row.id,
            person_id=person.id,
            detail={"kind": row.kind},
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
            FamilySession.occurred_at,
            person.id,
            cursor,
            limit,
            audit_as="family_session",
        )
        return Page(items=[session_out(r) for r in rows], next_cursor=next_cursor)
