"""Onward referrals' rules.

- Sent within the person's open episode by a partner that may write the service's
  category for them; prison psychology says which way it went (GP or OMT).
- Status moves only forward along :data:`NEXT_STATUSES`, dated no earlier than the last
  step and never in the future; each step is appended to the history with who and why.
- Only the sending partner records what became of its referral.
"""

from __future__ import annotations

import uuid
from datetime import date

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.accounts.models import User
from core.audit.services import record
from core.authz.access import Access
from core.errors import RuleViolation, not_found
from core.onward_referrals.models import (
    APPOINTMENT_SERVICES,
    NEXT_STATUSES,
    SERVICE_CATEGORIES,
    SERVICE_LABELS,
    STATUS_LABELS,
    OnwardReferral,
    OnwardService,
    OnwardStatus,
)
from core.onward_referrals.schemas import (
    OnwardAppointment,
    OnwardReferralCreate,
    OnwardReferralOut,
    OnwardStatusChange,
    StatusStep,
)
from core.pagination import Page, keyset, page_of
from core.tenancy.models import Organisation
from core.treatment.services import clean, open_episode


class OnwardReferralService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def create(self, data: OnwardReferralCreate) -> OnwardReferralOut:
        person = await self.access.visible_person(data.person_id)
        category = SERVICE_CATEGORIES[data.service]
        await self.access.require(category, "write", person.id)
        # The same open-episode rule as treatment: the referral belongs to the work.
        episode = await open_episode(self.session, self.actor, person, data.episode_id)
        if data.sent_on > clock.today():
            raise RuleViolation("The referral cannot be sent in the future", field="sent_on")
        if data.sent_on < episode.opened_at.date():
            raise RuleViolation(
                f"The referral cannot be before the episode opened ({episode.opened_at:%d %B %Y})",
                field="sent_on",
            )
        if data.service == OnwardService.PRISON_PSYCHOLOGY and data.route is None:
            raise RuleViolation(
                "Say whether it went through the prison GP or the Offender Management Team",
                field="route",
            )
        if data.appointment_on is not None:
            self._check_appointment(data.service, data.sent_on, data.appointment_on)
        row = OnwardReferral(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=episode.id,
            organisation_id=self.actor.organisation_id,
            service=data.service,
            category=category,
            route=data.route if data.service == OnwardService.PRISON_PSYCHOLOGY else None,
            receiving_service=clean(data.receiving_service),
            reason=clean(data.reason),
            sent_on=data.sent_on,
            status=OnwardStatus.SENT,
            status_on=data.sent_on,
            appointment_on=data.appointment_on,
            created_by=self.actor.user_id,
            history=[self._step(OnwardStatus.SENT, data.sent_on, None)],
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "onward_referral",
            row.id,
            person_id=person.id,
            detail={"service": row.service},
        )
        out = await self._out(row)
        await self.session.commit()
        return out

    async def list(
        self,
        *,
        person_id: uuid.UUID | None,
        service: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[OnwardReferralOut]:
        stmt = select(OnwardReferral).where(
            OnwardReferral.tenant_id == self.actor.tenant_id,
            self.access.rows_filter(OnwardReferral.category, OnwardReferral.person_id),
        )
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(OnwardReferral.person_id == person_id)
        if service is not None:
            stmt = stmt.where(OnwardReferral.service == service)
        if status is not None:
            stmt = stmt.where(OnwardReferral.status == status)
        stmt = keyset(
            stmt,
            [OnwardReferral.sent_on, OnwardReferral.id],
            cursor,
            limit,
            descending=True,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.sent_on.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "onward_referral",
            person_id=person_id,
            detail={"returned": len(rows)},
        )
        items = [await self._out(r) for r in rows]
        await self.session.commit()
        return Page(items=items, next_cursor=next_cursor)

    async def get(self, referral_id: uuid.UUID) -> OnwardReferralOut:
        row = await self._row(referral_id)
        await self.access.require(row.category, "read", row.person_id)
        record(self.session, self.actor, "read", "onward_referral", row.id, person_id=row.person_id)
        out = await self._out(row)
        await self.session.commit()
        return out

    async def change_status(
        self, referral_id: uuid.UUID, data: OnwardStatusChange
    ) -> OnwardReferralOut:
        row = await self._own(referral_id)
        allowed = NEXT_STATUSES.get(row.status, frozenset())
        if data.status not in allowed:
            now = STATUS_LABELS[row.status].lower()
            raise RuleViolation(
                f"A referral that is {now} cannot become {STATUS_LABELS[data.status].lower()}",
                field="status",
            )
        if data.on < row.status_on:
            raise RuleViolation(
                f"The last change was on {row.status_on:%d %B %Y}: this cannot be earlier",
                field="on",
            )
        if data.on > clock.today():
            raise RuleViolation("This cannot be dated in the future", field="on")
        if data.status == OnwardStatus.DECLINED and not clean(data.reason):
            raise RuleViolation("Say why it was declined", field="reason")
        previous = row.status
        row.status = data.status
        row.status_on = data.on
        row.history = [*row.history, self._step(data.status, data.on, clean(data.reason))]
        record(
            self.session,
            self.actor,
            "update",
            "onward_referral",
            row.id,
            person_id=row.person_id,
            detail={"from": previous, "to": row.status},
        )
        out = await self._out(row)
        await self.session.commit()
        return out

    async def set_appointment(
        self, referral_id: uuid.UUID, data: OnwardAppointment
    ) -> OnwardReferralOut:
        row = await self._own(referral_id)
        if row.status in (OnwardStatus.DECLINED, OnwardStatus.ATTENDED):
            raise RuleViolation(
                f"The referral is {STATUS_LABELS[row.status].lower()}: no appointment to set",
                field="appointment_on",
            )
        self._check_appointment(row.service, row.sent_on, data.appointment_on)
        row.appointment_on = data.appointment_on
        record(
            self.session,
            self.actor,
            "update",
            "onward_referral",
            row.id,
            person_id=row.person_id,
            detail={"appointment_on": data.appointment_on.isoformat()},
        )
        out = await self._out(row)
        await self.session.commit()
        return out

    def _check_appointment(self, service: str, sent_on: date, appointment_on: date) -> None:
        if service not in APPOINTMENT_SERVICES:
            raise RuleViolation(
                f"{SERVICE_LABELS[service]} gives no appointment to record",
                field="appointment_on",
            )
        if appointment_on < sent_on:
            raise RuleViolation(
                "The appointment cannot be before the referral was sent", field="appointment_on"
            )

    def _step(self, status: str, on: date, reason: str | None) -> dict[str, str | None]:
        return {
            "status": status,
            "on": on.isoformat(),
            "by": str(self.actor.user_id),
            "reason": reason,
        }

    async def _own(self, referral_id: uuid.UUID) -> OnwardReferral:
        row = await self._row(referral_id, for_update=True)
        await self.access.require(row.category, "write", row.person_id)
        if row.organisation_id != self.actor.organisation_id:
            owner = await self.session.get(
                Organisation, (self.actor.tenant_id, row.organisation_id)
            )
            raise PermissionDeniedException(
                detail=f"Only {owner.name if owner else 'the partner that sent it'} records "
                "what became of its referral"
            )
        return row

    async def _row(self, referral_id: uuid.UUID, *, for_update: bool = False) -> OnwardReferral:
        row = await self.session.get(
            OnwardReferral, (self.actor.tenant_id, referral_id), with_for_update=for_update
        )
        if row is None:
            raise not_found("Onward referral")
        # A person this user may not see at all: the same 404 as for no such referral.
        await self.access.visible_person(row.person_id)
        return row

    async def _out(self, row: OnwardReferral) -> OnwardReferralOut:
        organisation = await self.session.get(
            Organisation, (self.actor.tenant_id, row.organisation_id)
        )
        user_ids = {uuid.UUID(s["by"]) for s in row.history if s.get("by")}
        names = (
            {
                u.id: u.display_name
                for u in await self.session.execute(
                    select(User.id, User.display_name).where(User.id.in_(user_ids))
                )
            }
            if user_ids
            else {}
        )
        return OnwardReferralOut(
            id=row.id,
            person_id=row.person_id,
            episode_id=row.episode_id,
            organisation_id=row.organisation_id,
            organisation_name=organisation.name if organisation else "another partner",
            service=row.service,
            service_label=SERVICE_LABELS.get(row.service, row.service),
            route=row.route,
            receiving_service=row.receiving_service,
            reason=row.reason,
            sent_on=row.sent_on,
            status=row.status,
            status_label=STATUS_LABELS.get(row.status, row.status),
            status_on=row.status_on,
            appointment_on=row.appointment_on,
            history=[
                StatusStep(
                    status=s["status"],
                    status_label=STATUS_LABELS.get(s["status"], s["status"]),
                    on=date.fromisoformat(s["on"]),
                    by=names.get(uuid.UUID(s["by"])) if s.get("by") else None,
                    reason=s.get("reason"),
                )
                for s in row.history
            ],
            created_at=row.created_at,
        )
