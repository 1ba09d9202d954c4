"""Consents: record, list, read and withdraw; the active-consent queries the sharing engine
and the plan handover build on. Withdrawal takes effect at once: every check reads the table
at the moment it is asked, nothing is cached."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.consents.models import Consent
from core.consents.schemas import ConsentCreate, ConsentOut, ConsentWithdraw
from core.db.base import utcnow
from core.errors import Conflict, RuleViolation, not_found
from core.events import publish
from core.pagination import Page, keyset, page_of
from core.tenancy.models import Organisation
from core.vocabulary import RECORD_CATEGORIES

# Who agreed to share what is itself a case note: read and recorded under that category.
CATEGORY = RECORD_CATEGORIES["consent"]
# A consent widens what others may read, so writing case notes at partnership scope is not
# enough to record one: a partner could otherwise grant itself access it was not given.
NOT_WORKING_WITH = (
    "Only a partner that works with the person (their key worker, or an organisation that "
    "refers, assesses or supports them) can record their consent"
)

# A time "now" on the client's clock may be slightly ahead of ours; more than this is the future.
CLOCK_SKEW = timedelta(minutes=5)


def parse_time(value: str) -> datetime:
    """A cursor's time back from its ISO form (cursor keys are JSON)."""
    return datetime.fromisoformat(value)


async def get_organisation_row(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID
) -> Organisation:
    """A partner in the actor's tenant, or the same 404 whether absent or elsewhere."""
    organisation = await session.get(Organisation, (actor.tenant_id, organisation_id))
    if organisation is None:
        raise not_found("Organisation")
    return organisation


def is_active(now: datetime) -> ColumnElement[bool]:
    """Not withdrawn and not expired at ``now``."""
    return and_(
        Consent.withdrawn_at.is_(None),
        or_(Consent.expires_at.is_(None), Consent.expires_at > now),
    )


def consent_active(consent: Consent, now: datetime) -> bool:
    return consent.withdrawn_at is None and (consent.expires_at is None or consent.expires_at > now)


async def active_consents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    now: datetime,
    *,
    category: str | None = None,
) -> Sequence[Consent]:
    """The person's consents in force at ``now`` (optionally of one category), newest first."""
    stmt = select(Consent).where(
        Consent.tenant_id == tenant_id, Consent.person_id == person_id, is_active(now)
    )
    if category is not None:
        stmt = stmt.where(Consent.category == category)
    stmt = stmt.order_by(Consent.given_at.desc(), Consent.id.desc())
    return (await session.scalars(stmt)).all()


async def consent_for_recipient(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    category: str,
    organisation: Organisation,
    now: datetime,
) -> Consent | None:
    """An active consent to share ``category`` with this partner, by name or by its kind."""
    return await session.scalar(
        select(Consent)
        .where(
            Consent.tenant_id == tenant_id,
            Consent.person_id == person_id,
            Consent.category == category,
            is_active(now),
            or_(
                Consent.recipient_organisation_id == organisation.id,
                Consent.recipient_kind == organisation.kind,
            ),
        )
        .order_by(Consent.given_at.desc(), Consent.id.desc())
        .limit(1)
    )


def consent_out(consent: Consent, now: datetime) -> ConsentOut:
    return ConsentOut(
        id=consent.id,
        person_id=consent.person_id,
        category=consent.category,
        recipient_organisation_id=consent.recipient_organisation_id,
        recipient_kind=consent.recipient_kind,
        purpose=consent.purpose,
        lawful_basis=consent.lawful_basis,
        given_at=consent.given_at,
        expires_at=consent.expires_at,
        withdrawn_at=consent.withdrawn_at,
        recorded_by=consent.recorded_by,
        withdrawn_by=consent.withdrawn_by,
        withdrawal_reason=consent.withdrawal_reason,
        created_at=consent.created_at,
        active=consent_active(consent, now),
    )


class ConsentService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def list(
        self,
        person_id: uuid.UUID,
        *,
        active: bool | None,
        category: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ConsentOut]:
        person = await self.access.visible_person(person_id)
        now = utcnow()
        stmt = select(Consent).where(
            Consent.tenant_id == self.actor.tenant_id,
            Consent.person_id == person.id,
            self.access.person_filter(CATEGORY, person_id=Consent.person_id),
        )
        if active is True:
            stmt = stmt.where(is_active(now))
        elif active is False:
            stmt = stmt.where(~is_active(now))
        if category is not None:
            stmt = stmt.where(Consent.category == category)
        stmt = keyset(
            stmt,
            [Consent.given_at, Consent.id],
            cursor,
            limit,
            descending=True,
            convert=[parse_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda c: [c.given_at.isoformat(), str(c.id)])
        record(
            self.session,
            self.actor,
            "list",
            "consent",
            person_id=person.id,
            detail={"active": active, "category": category, "returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[consent_out(c, now) for c in rows], next_cursor=next_cursor)

    async def get(self, person_id: uuid.UUID, consent_id: uuid.UUID) -> Consent:
        consent = await self._row(person_id, consent_id, action="read")
        record(self.session, self.actor, "read", "consent", consent.id, person_id=person_id)
        await self.session.commit()
        return consent

    async def create(
        self, person_id: uuid.UUID, data: ConsentCreate, *, categories: Sequence[str]
    ) -> Consent:
        person = await self.access.visible_person(person_id)
        await self.access.require(CATEGORY, "write", person.id)
        if (await self.access.relation(person.id)).scope == "partnership":
            record(
                self.session,
                self.actor,
                "deny",
                "consent",
                person_id=person.id,
                detail={"action": "write", "reason": NOT_WORKING_WITH},
            )
            await self.session.commit()
            raise PermissionDeniedException(detail=NOT_WORKING_WITH)
        if data.category not in categories:
            raise RuleViolation(
                f"Unknown sharing category {data.category!r}; "
                f"expected one of: {', '.join(categories)}",
                field="category",
            )
        if (data.recipient_organisation_id is None) == (data.recipient_kind is None):
            refused = RuleViolation(
                "Give exactly one recipient: recipient_organisation_id (one partner) "
                "or recipient_kind (every partner of a kind)",
                field="recipient_organisation_id",
            )
            refused.extra.append({"key": "recipient_kind", "message": refused.detail})
            raise refused
        if data.recipient_organisation_id is not None:
            await get_organisation_row(self.session, self.actor, data.recipient_organisation_id)
        now = utcnow()
        given_at = data.given_at or now
        if given_at > now + CLOCK_SKEW:
            raise RuleViolation("Consent cannot be given in the future", field="given_at")
        if data.expires_at is not None and data.expires_at <= given_at:
            raise RuleViolation("A consent must expire after it was given", field="expires_at")
        consent = Consent(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            category=data.category,
            recipient_organisation_id=data.recipient_organisation_id,
            recipient_kind=data.recipient_kind,
            purpose=data.purpose.strip(),
            lawful_basis=data.lawful_basis,
            given_at=given_at,
            expires_at=data.expires_at,
            recorded_by=self.actor.user_id,
        )
        self.session.add(consent)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "consent",
            consent.id,
            person_id=person.id,
            detail={
                "category": consent.category,
                "recipient_organisation_id": (
                    str(consent.recipient_organisation_id)
                    if consent.recipient_organisation_id
                    else None
                ),
                "recipient_kind": consent.recipient_kind,
                "lawful_basis": consent.lawful_basis,
            },
        )
        await self.session.commit()
        return consent

    async def withdraw(
        self, person_id: uuid.UUID, consent_id: uuid.UUID, data: ConsentWithdraw | None
    ) -> Consent:
        # Locked (on PostgreSQL) so two withdrawals at once cannot both succeed.
        consent = await self._row(person_id, consent_id, action="write", for_update=True)
        if consent.withdrawn_at is not None:
            raise Conflict(
                detail="This consent has already been withdrawn",
                extra=[{"key": "withdrawn_at", "message": consent.withdrawn_at.isoformat()}],
            )
        consent.withdrawn_at = utcnow()
        consent.withdrawn_by = self.actor.user_id
        reason = data.reason.strip() if data and data.reason else None
        # Kept on the row for whoever reads the consent, and in the audit event with the act.
        consent.withdrawal_reason = reason
        record(
            self.session,
            self.actor,
            "withdraw",
            "consent",
            consent.id,
            person_id=consent.person_id,
            detail={"category": consent.category, "reason": reason},
        )
        await publish(
            self.session,
            self.actor,
            "consent_withdrawn",
            person_id=consent.person_id,
            data={"consent_id": str(consent.id), "category": consent.category},
        )
        await self.session.commit()
        return consent

    async def _row(
        self, person_id: uuid.UUID, consent_id: uuid.UUID, *, action: str, for_update: bool = False
    ) -> Consent:
        await self.access.require(CATEGORY, action, person_id)
        stmt = select(Consent).where(
            Consent.tenant_id == self.actor.tenant_id,
            Consent.id == consent_id,
            Consent.person_id == person_id,
        )
        if for_update:
            stmt = stmt.with_for_update()
        consent = await self.session.scalar(stmt)
        if consent is None:
            raise not_found("Consent")
        return consent
