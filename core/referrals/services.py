"""Referrals: where a person came from, what was offered, and what was decided.

A referral always belongs to an episode: it joins the person's open episode, or opens a new
one linked to their last (recovery is not linear; people are referred many times). A declined
offer is recorded and kept; when it leaves an episode still at the referral stage with nothing
else to act on, that episode closes as "offer declined".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessments.models import INITIAL_KINDS, Assessment
from core.audit.services import record
from core.authz.access import Access
from core.authz.relations import decide_organisation
from core.db.base import utcnow
from core.episodes.models import Phase
from core.episodes.services import (
    get_episode_row,
    get_organisation_row,
    latest_episode,
    move_phase,
    open_episode,
    parse_time,
)
from core.errors import Conflict, RuleViolation, not_found
from core.events import publish
from core.pagination import Page, keyset, page_of
from core.persons.models import Person
from core.referrals.models import Referral, ReferralDecision, ReferralSource
from core.referrals.schemas import ReferralCreate, ReferralDecide, ReferralOut, ReferralUpdate
from core.vocabulary import RECORD_CATEGORIES
from core.working_days import add_working_days

CATEGORY = RECORD_CATEGORIES["referral"]

# The initial (triage) assessment is due within this many working days of the referral.
ASSESSMENT_DUE_WORKING_DAYS = 5
# A time "now" on the client's clock may be slightly ahead of ours; more than this is the future.
CLOCK_SKEW = timedelta(minutes=5)
DECLINED_CLOSE_REASON = "offer declined"
# Every nation Throughcare serves keeps UK civil time: a referral at 00:30 BST on a Monday
# was received on Monday, although it is still Sunday in UTC.
UK_TIME = ZoneInfo("Europe/London")


def local_date(moment: datetime) -> date:
    return moment.astimezone(UK_TIME).date()


def local_today() -> date:
    return local_date(utcnow())


def assessment_due_on(received_at: datetime, nation: str) -> date:
    return add_working_days(local_date(received_at), ASSESSMENT_DUE_WORKING_DAYS, nation)


def not_declined() -> ColumnElement[bool]:
    return or_(Referral.decision.is_(None), Referral.decision != ReferralDecision.DECLINED)


def has_initial_assessment() -> ColumnElement[bool]:
    """The referral's initial (triage) assessment is recorded: a brief intervention after
    triage is never overdue for the comprehensive assessment it does not need."""
    return exists().where(
        Assessment.tenant_id == Referral.tenant_id,
        Assessment.referral_id == Referral.id,
        Assessment.kind.in_(INITIAL_KINDS),
    )


def overdue_condition(today: date) -> ColumnElement[bool]:
    """Past its due date, no initial assessment recorded for it, and not declined.

    Whether a decision was made does not matter: an accepted offer still needs its assessment.
    """
    return and_(
        Referral.assessment_due_on < today,
        not_declined(),
        not_(has_initial_assessment()),
    )


async def overdue_assessments(
    session: AsyncSession, tenant_id: uuid.UUID, today: date
) -> Sequence[Referral]:
    """The tenant's referrals whose initial assessment is overdue on ``today``,
    longest overdue first. For jobs and reports: it writes no audit event of its own."""
    stmt = (
        select(Referral)
        .where(Referral.tenant_id == tenant_id, overdue_condition(today))
        .order_by(Referral.assessment_due_on, Referral.received_at, Referral.id)
    )
    return (await session.scalars(stmt)).all()


def referral_out(referral: Referral) -> ReferralOut:
    return ReferralOut(
        id=referral.id,
        person_id=referral.person_id,
        episode_id=referral.episode_id,
        source=referral.source,
        received_at=referral.received_at,
        referring_organisation_id=referral.referring_organisation_id,
        reason=referral.reason,
        assessment_due_on=referral.assessment_due_on,
        offered_appointment_at=referral.offered_appointment_at,
        decision=referral.decision,
        decided_at=referral.decided_at,
        decided_by=referral.decided_by,
        decision_notes=referral.decision_notes,
        created_by=referral.created_by,
        created_at=referral.created_at,
    )


def check_appointment(offered: datetime | None, received_at: datetime) -> None:
    if offered is not None and offered < received_at:
        raise RuleViolation(
            "The appointment offered cannot be before the referral was received",
            field="offered_appointment_at",
        )


class ReferralService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def list(
        self,
        *,
        person_id: uuid.UUID | None,
        episode_id: uuid.UUID | None,
        source: ReferralSource | None,
        decision: ReferralDecision | None,
        overdue: bool | None,
        limit: int,
        cursor: str | None,
        today: date | None = None,
    ) -> Page[ReferralOut]:
        stmt = select(Referral).where(
            Referral.tenant_id == self.actor.tenant_id,
            self.access.person_filter(CATEGORY, person_id=Referral.person_id),
        )
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(Referral.person_id == person_id)
        if episode_id is not None:
            episode = await get_episode_row(self.session, self.actor, episode_id)
            await self.access.visible_person(episode.person_id)
            stmt = stmt.where(Referral.episode_id == episode_id)
        if source is not None:
            stmt = stmt.where(Referral.source == source)
        if decision is not None:
            stmt = stmt.where(Referral.decision == decision)
        if overdue is not None:
            condition = overdue_condition(today or local_today())
            stmt = stmt.where(condition if overdue else not_(condition))
        stmt = keyset(
            stmt,
            [Referral.received_at, Referral.id],
            cursor,
            limit,
            descending=True,
            convert=[parse_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.received_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "referral",
            person_id=person_id,
            detail={
                "episode_id": str(episode_id) if episode_id else None,
                "source": source,
                "decision": decision,
                "overdue": overdue,
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(items=[referral_out(r) for r in rows], next_cursor=next_cursor)

    async def get(self, referral_id: uuid.UUID) -> Referral:
        referral = await self._row(referral_id)
        await self.access.require(CATEGORY, "read", referral.person_id)
        record(
            self.session, self.actor, "read", "referral", referral.id, person_id=referral.person_id
        )
        await self.session.commit()
        return referral

    async def create(self, data: ReferralCreate, *, by_rule: str | None = None) -> Referral:
        """``by_rule`` names a partnership rule that makes the referral (a positive drug test
        refers the person): the caller has already been allowed the write that triggers it,
        so the referral does not also need the case-notes write, and the audit names the rule.
        A rule-made referral creates no relation: that stays a decision."""
        person = await self.access.visible_person(data.person_id)
        if by_rule is None:
            await self.access.require(CATEGORY, "write", person.id)
        # One referral at a time per person decides whether an episode is joined or opened.
        await self.session.execute(
            select(Person.id)
            .where(Person.tenant_id == self.actor.tenant_id, Person.id == person.id)
            .with_for_update()
        )
        now = utcnow()
        received_at = data.received_at or now
        if received_at > now + CLOCK_SKEW:
            raise RuleViolation("A referral cannot be received in the future", field="received_at")
        if local_date(received_at) < person.date_of_birth:
            raise RuleViolation(
                "A referral cannot be received before the person's date of birth",
                field="received_at",
            )
        check_appointment(data.offered_appointment_at, received_at)
        if data.referring_organisation_id is not None:
            await get_organisation_row(self.session, self.actor, data.referring_organisation_id)

        episode = await latest_episode(
            self.session, self.actor.tenant_id, person.id, open_only=True, for_update=True
        )
        if episode is None:
            episode = await open_episode(self.session, self.actor, person.id, reason="referred")
        referral = Referral(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=episode.id,
            source=data.source,
            received_at=received_at,
            referring_organisation_id=data.referring_organisation_id,
            reason=data.reason.strip() if data.reason else None,
            assessment_due_on=assessment_due_on(received_at, self.actor.nation),
            offered_appointment_at=data.offered_appointment_at,
            created_by=self.actor.user_id,
        )
        self.session.add(referral)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "referral",
            referral.id,
            person_id=person.id,
            rule=by_rule,
            detail={"source": referral.source, "episode_id": str(episode.id)},
        )
        await publish(
            self.session,
            self.actor,
            "referral_created",
            person_id=person.id,
            data={"referral_id": str(referral.id), "source": str(referral.source)},
        )
        await self.session.commit()
        return referral

    async def update(self, referral_id: uuid.UUID, data: ReferralUpdate) -> Referral:
        referral = await self._row(referral_id, for_update=True)
        await self.access.require(CATEGORY, "write", referral.person_id)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if changes.get("reason"):
            changes["reason"] = changes["reason"].strip()
        if "offered_appointment_at" in changes:
            check_appointment(changes["offered_appointment_at"], referral.received_at)
        if changes.get("referring_organisation_id") is not None:
            await get_organisation_row(
                self.session, self.actor, changes["referring_organisation_id"]
            )
        for name, value in changes.items():
            setattr(referral, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "referral",
            referral.id,
            person_id=referral.person_id,
            detail={"fields": sorted(changes)},
        )
        await self.session.commit()
        return referral

    async def decide(self, referral_id: uuid.UUID, data: ReferralDecide) -> Referral:
        referral = await self._row(referral_id, for_update=True)
        await self.access.require(CATEGORY, "write", referral.person_id)
        if referral.decision is not None:
            decided = referral.decided_at.date().isoformat() if referral.decided_at else "earlier"
            message = (
                f"This referral was already decided ('{referral.decision}' on {decided}); "
                "a decision is recorded once — a new offer is a new referral"
            )
            raise Conflict(detail=message, extra=[{"key": "decision", "message": message}])
        episode = await get_episode_row(
            self.session, self.actor, referral.episode_id, for_update=True
        )
        if data.decision != ReferralDecision.DECLINED and episode.phase == Phase.CLOSED:
            message = (
                "The referral's episode is closed, so support cannot be offered on it; "
                "a new referral opens a new episode"
            )
            raise Conflict(detail=message, extra=[{"key": "decision", "message": message}])

        # Accepting a referral is the decision that the referring partner works with the
        # person: the protocol must entitle the decider to allocate.
        accepted = data.decision != ReferralDecision.DECLINED
        if accepted and referral.referring_organisation_id is not None:
            await decide_organisation(
                self.access,
                referral.person_id,
                referral.referring_organisation_id,
                "referral_accepted",
                data.notes.strip() if data.notes else None,
            )
        referral.decision = data.decision
        referral.decided_at = utcnow()
        referral.decided_by = self.actor.user_id
        referral.decision_notes = data.notes.strip() if data.notes else None

        episode_closed = False
        if data.decision == ReferralDecision.DECLINED and episode.phase == Phase.REFERRAL:
            others = await self.session.scalar(
                select(func.count())
                .select_from(Referral)
                .where(
                    Referral.tenant_id == self.actor.tenant_id,
                    Referral.episode_id == episode.id,
                    Referral.id != referral.id,
                    not_declined(),
                )
            )
            if not others:
                move_phase(self.session, self.actor, episode, Phase.CLOSED, DECLINED_CLOSE_REASON)
                episode_closed = True
        record(
            self.session,
            self.actor,
            "update",
            "referral",
            referral.id,
            person_id=referral.person_id,
            detail={"decision": referral.decision, "episode_closed": episode_closed},
        )
        await self.session.commit()
        return referral

    async def _row(self, referral_id: uuid.UUID, *, for_update: bool = False) -> Referral:
        stmt = select(Referral).where(
            Referral.tenant_id == self.actor.tenant_id, Referral.id == referral_id
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        referral = await self.session.scalar(stmt)
        if referral is None:
            raise not_found("Referral")
        return referral
