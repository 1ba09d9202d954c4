"""Mentors: registered (a member or a volunteer), vetted, listed."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from sqlalchemy import select

from core.accounts.models import User
from core.audit.services import record
from core.clock import today as local_today
from core.episodes.services import is_active_member
from core.errors import Conflict, RuleViolation, not_found
from core.pagination import Page, fetch_page
from core.tenancy.models import Organisation
from plugins.peer_mentoring.common import CATEGORY, PeerMentoringBase, clean, mentor_out
from plugins.peer_mentoring.models import Mentor, VettingStatus
from plugins.peer_mentoring.schemas import MentorCreate, MentorOut, MentorUpdate


class MentorsMixin(PeerMentoringBase):
    async def create_mentor(self, data: MentorCreate) -> Mentor:
        await self.access.require_tenant(CATEGORY, "write")
        if (data.user_id is None) == (data.name is None):
            refused = RuleViolation(
                "Give exactly one of user_id (a member of the partnership) or name "
                "(a volunteer without a sign-in)",
                field="user_id",
            )
            refused.extra.append({"key": "name", "message": refused.detail})
            raise refused
        name = data.name
        if data.user_id is not None:
            if not await is_active_member(self.session, self.actor.tenant_id, data.user_id):
                raise RuleViolation(
                    "The user is not an active member of this partnership", field="user_id"
                )
            taken = await self.session.scalar(
                select(Mentor.id).where(
                    Mentor.tenant_id == self.actor.tenant_id, Mentor.user_id == data.user_id
                )
            )
            if taken is not None:
                raise Conflict(
                    detail="This user is already a mentor here",
                    extra=[{"key": "user_id", "message": f"already mentor {taken}"}],
                )
            user = await self.session.get(User, data.user_id)
            name = user.display_name if user else None
        organisation_id = data.organisation_id or self.actor.organisation_id
        if await self.session.get(Organisation, (self.actor.tenant_id, organisation_id)) is None:
            raise RuleViolation("No such partner in this partnership", field="organisation_id")
        self._check_vetting(data.vetting_status, data.vetted_on)
        mentor = Mentor(
            tenant_id=self.actor.tenant_id,
            user_id=data.user_id,
            name=" ".join((name or "").split()),
            organisation_id=organisation_id,
            lived_experience=data.lived_experience,
            vetting_status=data.vetting_status,
            vetted_on=data.vetted_on,
            availability=clean(data.availability),
        )
        self.session.add(mentor)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "mentor",
            mentor.id,
            detail={"vetting_status": mentor.vetting_status},
        )
        await self.session.commit()
        return mentor

    def _check_vetting(self, status: str, vetted_on: date | None) -> None:
        if vetted_on is not None and vetted_on > local_today():
            raise RuleViolation("A vetting check cannot be dated in the future", field="vetted_on")
        if status == VettingStatus.CLEARED and vetted_on is None:
            raise RuleViolation(
                "A cleared mentor needs the date of the vetting check", field="vetted_on"
            )

    async def update_mentor(self, mentor_id: uuid.UUID, data: MentorUpdate) -> Mentor:
        await self.access.require_tenant(CATEGORY, "write")
        mentor = await self._mentor(mentor_id)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if "availability" in changes:
            changes["availability"] = clean(changes["availability"])
        self._check_vetting(
            changes.get("vetting_status", mentor.vetting_status),
            changes.get("vetted_on", mentor.vetted_on),
        )
        for name, value in changes.items():
            setattr(mentor, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "mentor",
            mentor.id,
            detail={"fields": sorted(changes), "vetting_status": mentor.vetting_status},
        )
        await self.session.commit()
        return mentor

    async def get_mentor(self, mentor_id: uuid.UUID) -> Mentor:
        await self.access.require_tenant(CATEGORY, "read")
        mentor = await self._mentor(mentor_id)
        record(self.session, self.actor, "read", "mentor", mentor.id)
        await self.session.commit()
        return mentor

    async def list_mentors(
        self,
        *,
        vetting_status: VettingStatus | None,
        active: bool | None,
        limit: int,
        cursor: str | None,
    ) -> Page[MentorOut]:
        await self.access.require_tenant(CATEGORY, "read")
        stmt = select(Mentor).where(Mentor.tenant_id == self.actor.tenant_id)
        if vetting_status is not None:
            stmt = stmt.where(Mentor.vetting_status == vetting_status)
        if active is not None:
            stmt = stmt.where(Mentor.is_active.is_(active))
        rows, next_cursor = await fetch_page(
            self.session, stmt, [Mentor.name, Mentor.id], cursor, limit
        )
        record(
            self.session,
            self.actor,
            "list",
            "mentor",
            detail={"vetting_status": vetting_status, "active": active, "returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[mentor_out(m) for m in rows], next_cursor=next_cursor)

    async def _mentor(self, mentor_id: uuid.UUID) -> Mentor:
        mentor = await self.session.get(Mentor, (self.actor.tenant_id, mentor_id))
        if mentor is None:
            raise not_found("Mentor")
        return mentor
