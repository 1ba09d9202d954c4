"""Recovery plans: goals, actions with owning partners, the contingency plan, reviews, and the
handover to the community provider on release, which needs the person's consent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessments.services import get_episode_row
from core.audit.services import record
from core.authz.access import Access
from core.authz.relations import decide_organisation
from core.consents.services import (
    CLOCK_SKEW,
    consent_for_recipient,
    get_organisation_row,
    parse_time,
)
from core.db.base import utcnow
from core.episodes.models import Phase
from core.errors import Conflict, RuleViolation, not_found
from core.pagination import Page, keyset, page_of
from core.plans.models import PlanAction, PlanReview, PlanStatus, RecoveryPlan
from core.plans.outputs import action_out, clean_contingency, plan_out, plan_summary, review_out
from core.plans.schemas import (
    CONTINGENCY_FIELDS,
    ActionCreate,
    ActionUpdate,
    Handover,
    PlanCreate,
    PlanOut,
    PlanSummary,
    PlanUpdate,
    ReviewCreate,
)
from core.vocabulary import RECORD_CATEGORIES

__all__ = ["PlanService", "action_out", "due_plan_actions", "review_out"]


CATEGORY = RECORD_CATEGORIES["recovery_plan"]


# The consent a handover needs: the plan is substance-use information.
HANDOVER_CATEGORY = "substance_use"


async def due_plan_actions(
    session: AsyncSession, tenant_id: uuid.UUID, today: date
) -> Sequence[PlanAction]:
    """Incomplete actions due on or before ``today`` on plans that are not closed."""
    stmt = (
        select(PlanAction)
        .join(
            RecoveryPlan,
            (RecoveryPlan.tenant_id == PlanAction.tenant_id)
            & (RecoveryPlan.id == PlanAction.plan_id),
        )
        .where(
            PlanAction.tenant_id == tenant_id,
            PlanAction.completed_at.is_(None),
            PlanAction.due_on <= today,
            RecoveryPlan.status != PlanStatus.CLOSED,
        )
        .order_by(PlanAction.due_on, PlanAction.id)
    )
    return (await session.scalars(stmt)).all()


class PlanService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def list(
        self,
        *,
        person_id: uuid.UUID | None,
        episode_id: uuid.UUID | None,
        status: PlanStatus | None,
        limit: int,
        cursor: str | None,
    ) -> Page[PlanSummary]:
        stmt = select(RecoveryPlan).where(
            RecoveryPlan.tenant_id == self.actor.tenant_id,
            self.access.person_filter(CATEGORY, person_id=RecoveryPlan.person_id),
        )
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(RecoveryPlan.person_id == person_id)
        if episode_id is not None:
            stmt = stmt.where(RecoveryPlan.episode_id == episode_id)
        if status is not None:
            stmt = stmt.where(RecoveryPlan.status == status)
        stmt = keyset(
            stmt,
            [RecoveryPlan.created_at, RecoveryPlan.id],
            cursor,
            limit,
            descending=True,
            convert=[parse_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda p: [p.created_at.isoformat(), str(p.id)])
        record(
            self.session,
            self.actor,
            "list",
            "recovery_plan",
            person_id=person_id,
            detail={
                "episode_id": str(episode_id) if episode_id else None,
                "status": status,
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(items=[plan_summary(p) for p in rows], next_cursor=next_cursor)

    async def get(self, plan_id: uuid.UUID) -> PlanOut:
        plan = await self._plan(plan_id, action="read")
        out = await self._detail(plan)
        record(self.session, self.actor, "read", "recovery_plan", plan.id, person_id=plan.person_id)
        await self.session.commit()
        return out

    async def create(self, data: PlanCreate) -> PlanOut:
        person = await self.access.visible_person(data.person_id)
        await self.access.require(CATEGORY, "write", person.id)
        # Locked (on PostgreSQL) so two plans cannot be started for one episode at once.
        episode = await get_episode_row(self.session, self.actor, data.episode_id, for_update=True)
        if episode.person_id != person.id:
            raise RuleViolation("The episode is for a different person", field="episode_id")
        if episode.phase == Phase.CLOSED or episode.closed_at is not None:
            raise RuleViolation(
                "The episode is closed; open a new episode for a new plan", field="episode_id"
            )
        existing = await self.session.scalar(
            select(RecoveryPlan.id).where(
                RecoveryPlan.tenant_id == self.actor.tenant_id,
                RecoveryPlan.episode_id == episode.id,
                RecoveryPlan.status == PlanStatus.ACTIVE,
            )
        )
        if existing is not None:
            raise Conflict(
                detail="This episode already has an active recovery plan",
                extra=[{"key": "episode_id", "message": f"active plan {existing}"}],
            )
        plan = RecoveryPlan(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=episode.id,
            status=PlanStatus.ACTIVE,
            goals=[goal.strip() for goal in data.goals],
            contingency=clean_contingency(data.contingency),
            created_by=self.actor.user_id,
        )
        self.session.add(plan)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "recovery_plan",
            plan.id,
            person_id=person.id,
            detail={"episode_id": str(episode.id)},
        )
        await self.session.commit()
        return plan_out(plan, [], [])

    async def update(self, plan_id: uuid.UUID, data: PlanUpdate) -> PlanOut:
        plan = await self._open_plan(plan_id)
        fields: list[str] = []
        if data.goals is not msgspec.UNSET:
            plan.goals = [goal.strip() for goal in data.goals]  # a new list: JSON change seen
            fields.append("goals")
        if data.contingency is not msgspec.UNSET:
            parts = {
                name: value.strip() if isinstance(value, str) else value
                for name, value in msgspec.structs.asdict(data.contingency).items()
                if value is not msgspec.UNSET
            }
            stored = {name: plan.contingency.get(name) for name in CONTINGENCY_FIELDS}
            plan.contingency = stored | parts  # a new dict: the JSON change is seen
            fields += [f"contingency.{name}" for name in sorted(parts)]
        if fields:
            plan.updated_at = utcnow()
        record(
            self.session,
            self.actor,
            "update",
            "recovery_plan",
            plan.id,
            person_id=plan.person_id,
            detail={"fields": fields},
        )
        await self.session.flush()
        out = await self._detail(plan)
        await self.session.commit()
        return out

    async def add_action(self, plan_id: uuid.UUID, data: ActionCreate) -> PlanAction:
        plan = await self._open_plan(plan_id)
        owner = await get_organisation_row(self.session, self.actor, data.owner_organisation_id)
        action = PlanAction(
            tenant_id=self.actor.tenant_id,
            plan_id=plan.id,
            description=data.description.strip(),
            owner_organisation_id=owner.id,
            due_on=data.due_on,
        )
        self.session.add(action)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "plan_action",
            action.id,
            person_id=plan.person_id,
            detail={"plan_id": str(plan.id), "owner_organisation_id": str(owner.id)},
        )
        await self.session.commit()
        return action

    async def update_action(
        self, plan_id: uuid.UUID, action_id: uuid.UUID, data: ActionUpdate
    ) -> PlanAction:
        plan = await self._open_plan(plan_id)
        action = await self.session.scalar(
            select(PlanAction).where(
                PlanAction.tenant_id == self.actor.tenant_id,
                PlanAction.plan_id == plan.id,
                PlanAction.id == action_id,
            )
        )
        if action is None:
            raise not_found("Plan action")
        fields: list[str] = []
        if data.description is not msgspec.UNSET:
            action.description = data.description.strip()
            fields.append("description")
        if data.due_on is not msgspec.UNSET:
            action.due_on = data.due_on
            fields.append("due_on")
        if data.completed is not msgspec.UNSET:
            if data.completed and action.completed_at is None:
                action.completed_at = utcnow()
            elif not data.completed:
                action.completed_at = None
            fields.append("completed")
        record(
            self.session,
            self.actor,
            "update",
            "plan_action",
            action.id,
            person_id=plan.person_id,
            detail={"plan_id": str(plan.id), "fields": fields},
        )
        await self.session.commit()
        return action

    async def add_review(self, plan_id: uuid.UUID, data: ReviewCreate) -> PlanReview:
        plan = await self._open_plan(plan_id)
        now = utcnow()
        reviewed_at = data.reviewed_at or now
        if reviewed_at > now + CLOCK_SKEW:
            raise RuleViolation("A review cannot take place in the future", field="reviewed_at")
        review = PlanReview(
            tenant_id=self.actor.tenant_id,
            plan_id=plan.id,
            reviewed_at=reviewed_at,
            reviewed_by=self.actor.user_id,
            notes=data.notes.strip(),
        )
        self.session.add(review)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "plan_review",
            review.id,
            person_id=plan.person_id,
            detail={"plan_id": str(plan.id)},
        )
        await self.session.commit()
        return review

    async def handover(self, plan_id: uuid.UUID, data: Handover) -> PlanOut:
        # Locked (on PostgreSQL) so a plan is handed over once, to one provider.
        plan = await self._plan(plan_id, action="write", for_update=True)
        if plan.status != PlanStatus.ACTIVE:
            raise Conflict(
                detail=f"Only an active plan can be handed over; this one is {plan.status}",
                extra=[{"key": "status", "message": plan.status}],
            )
        organisation = await get_organisation_row(self.session, self.actor, data.organisation_id)
        now = utcnow()
        # Read at this moment, from the table: a consent withdrawn a second ago no longer counts.
        consent = await consent_for_recipient(
            self.session, self.actor.tenant_id, plan.person_id, HANDOVER_CATEGORY, organisation, now
        )
        if consent is None:
            raise RuleViolation(
                "The person has not consented to share their recovery plan with "
                f"{organisation.name}",
                field="organisation_id",
            )
        plan.status = PlanStatus.HANDED_OVER
        plan.handed_over_at = now
        plan.handover_organisation_id = organisation.id
        plan.updated_at = now
        # The community provider carries the plan on: it works with the person from now on,
        # a decision only someone entitled to allocate may make.
        await decide_organisation(self.access, plan.person_id, organisation.id, "plan_handover")
        self.access.forget(plan.person_id)
        record(
            self.session,
            self.actor,
            "handover",
            "recovery_plan",
            plan.id,
            person_id=plan.person_id,
            detail={"organisation_id": str(organisation.id), "consent_id": str(consent.id)},
        )
        await self.session.flush()
        out = await self._detail(plan)
        await self.session.commit()
        return out

    async def _plan(
        self, plan_id: uuid.UUID, *, action: str, for_update: bool = False
    ) -> RecoveryPlan:
        stmt = select(RecoveryPlan).where(
            RecoveryPlan.tenant_id == self.actor.tenant_id, RecoveryPlan.id == plan_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        plan = await self.session.scalar(stmt)
        if plan is None:
            raise not_found("Recovery plan")
        await self.access.require(CATEGORY, action, plan.person_id)
        return plan

    async def _open_plan(self, plan_id: uuid.UUID) -> RecoveryPlan:
        """A plan that can still change: active, or handed over (the community provider
        carries it on); a closed plan is history."""
        plan = await self._plan(plan_id, action="write", for_update=True)
        if plan.status == PlanStatus.CLOSED:
            raise Conflict(
                detail="This recovery plan is closed",
                extra=[{"key": "status", "message": plan.status}],
            )
        return plan

    async def _detail(self, plan: RecoveryPlan) -> PlanOut:
        actions = (
            await self.session.scalars(
                select(PlanAction)
                .where(PlanAction.tenant_id == plan.tenant_id, PlanAction.plan_id == plan.id)
                .order_by(
                    PlanAction.due_on.is_(None),
                    PlanAction.due_on,
                    PlanAction.created_at,
                    PlanAction.id,
                )
            )
        ).all()
        reviews = (
            await self.session.scalars(
                select(PlanReview)
                .where(PlanReview.tenant_id == plan.tenant_id, PlanReview.plan_id == plan.id)
                .order_by(PlanReview.reviewed_at, PlanReview.id)
            )
        ).all()
        return plan_out(plan, actions, reviews)
