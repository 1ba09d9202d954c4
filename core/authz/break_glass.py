"""Break-glass: emergency read access to a withheld category of one person, and its review."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.access import Access
from core.authz.members import active_members
from core.authz.models import BreakGlassGrant
from core.authz.schemas import BreakGlassOut, BreakGlassRequest
from core.errors import Conflict, RuleViolation, not_found


def grant_out(row: BreakGlassGrant, now: Any) -> BreakGlassOut:
    return BreakGlassOut(
        id=row.id,
        user_id=row.user_id,
        person_id=row.person_id,
        category=row.category,
        reason=row.reason,
        created_at=row.created_at,
        expires_at=row.expires_at,
        active=row.ended_at is None and row.expires_at > now,
        reviewed_at=row.reviewed_at,
        reviewed_by=row.reviewed_by,
        review_note=row.review_note,
    )


class BreakGlassService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def open(self, data: BreakGlassRequest) -> BreakGlassOut:
        if data.category not in self.access.categories:
            raise RuleViolation(f"Unknown category {data.category!r}", field="category")
        await self.access.visible_person(data.person_id)
        if data.category in await self.access.readable_categories(data.person_id):
            raise Conflict(detail=f"You can already read {data.category} for this person")
        grant = BreakGlassGrant(
            tenant_id=self.actor.tenant_id,
            user_id=self.actor.user_id,
            person_id=data.person_id,
            category=data.category,
            reason=data.reason,
            expires_at=self.access.now + timedelta(minutes=data.minutes),
        )
        self.session.add(grant)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "break_glass",
            data.category,
            grant.id,
            person_id=data.person_id,
            rule="break-glass",
            detail={"reason": data.reason, "minutes": data.minutes},
        )
        await self._alert_leads(grant)
        await self.session.commit()
        self.access.forget(data.person_id)
        return grant_out(grant, self.access.now)

    async def _alert_leads(self, grant: BreakGlassGrant) -> None:
        from core.notifications.services import notify

        members = await active_members(self.session, self.actor.tenant_id)
        leads = [
            m.user_id
            for m in members
            if self.access.policy.grants_for(m.user_id, m.subjects).get("protocol", "manage")
        ]
        await notify(
            self.session,
            self.actor.tenant_id,
            leads,
            kind="break_glass",
            title="Break-glass access to review",
            link=f"/t/{self.actor.tenant_slug}/protocol/break-glass",
            key=f"break-glass:{grant.id}",
            person_id=grant.person_id,
        )

    async def queue(self, *, reviewed: bool) -> list[BreakGlassOut]:
        await self.access.require_tenant("protocol", "manage")
        condition = (
            BreakGlassGrant.reviewed_at.is_not(None)
            if reviewed
            else BreakGlassGrant.reviewed_at.is_(None)
        )
        rows = await self.session.scalars(
            select(BreakGlassGrant)
            .where(BreakGlassGrant.tenant_id == self.actor.tenant_id, condition)
            .order_by(BreakGlassGrant.created_at.desc())
            .limit(200)
        )
        return [grant_out(r, self.access.now) for r in rows.all()]

    async def mine(self) -> list[BreakGlassOut]:
        rows = await self.session.scalars(
            select(BreakGlassGrant)
            .where(
                BreakGlassGrant.tenant_id == self.actor.tenant_id,
                BreakGlassGrant.user_id == self.actor.user_id,
            )
            .order_by(BreakGlassGrant.created_at.desc())
            .limit(100)
        )
        return [grant_out(r, self.access.now) for r in rows.all()]

    async def review(self, grant_id: uuid.UUID, note: str) -> BreakGlassOut:
        await self.access.require_tenant("protocol", "manage")
        grant = await self.session.get(BreakGlassGrant, (self.actor.tenant_id, grant_id))
        if grant is None:
            raise not_found("Break-glass grant")
        if grant.reviewed_at is not None:
            raise Conflict(detail="This break-glass grant has already been reviewed")
        if grant.user_id == self.actor.user_id:
            # A review is a second pair of eyes: the one who broke the glass cannot give it.
            record(
                self.session,
                self.actor,
                "deny",
                grant.category,
                grant.id,
                person_id=grant.person_id,
                detail={"action": "break_glass_review", "reason": "own grant"},
            )
            await self.session.commit()
            raise PermissionDeniedException(
                detail="You opened this break-glass grant: another lead must review it."
            )
        grant.reviewed_at = self.access.now
        grant.reviewed_by = self.actor.user_id
        grant.review_note = note
        record(
            self.session,
            self.actor,
            "break_glass_review",
            grant.category,
            grant.id,
            person_id=grant.person_id,
            detail={"note": note},
        )
        await self.session.commit()
        return grant_out(grant, self.access.now)

    async def count_unreviewed(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(BreakGlassGrant)
                .where(
                    BreakGlassGrant.tenant_id == self.actor.tenant_id,
                    BreakGlassGrant.reviewed_at.is_(None),
                )
            )
            or 0
        )
