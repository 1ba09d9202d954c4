"""A recovery plan's wire shapes: the plan, its summary, actions and reviews."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from core.plans.models import PlanAction, PlanReview, RecoveryPlan
from core.plans.schemas import (
    Contingency,
    PlanActionOut,
    PlanOut,
    PlanReviewOut,
    PlanSummary,
    contingency_of,
)


def action_out(action: PlanAction) -> PlanActionOut:
    return PlanActionOut(
        id=action.id,
        plan_id=action.plan_id,
        description=action.description,
        owner_organisation_id=action.owner_organisation_id,
        due_on=action.due_on,
        completed_at=action.completed_at,
        created_at=action.created_at,
    )


def review_out(review: PlanReview) -> PlanReviewOut:
    return PlanReviewOut(
        id=review.id,
        plan_id=review.plan_id,
        reviewed_at=review.reviewed_at,
        reviewed_by=review.reviewed_by,
        notes=review.notes,
        created_at=review.created_at,
    )


def plan_summary(plan: RecoveryPlan) -> PlanSummary:
    return PlanSummary(
        id=plan.id,
        person_id=plan.person_id,
        episode_id=plan.episode_id,
        status=plan.status,
        goals=list(plan.goals),
        handover_organisation_id=plan.handover_organisation_id,
        handed_over_at=plan.handed_over_at,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


def plan_out(
    plan: RecoveryPlan, actions: Sequence[PlanAction], reviews: Sequence[PlanReview]
) -> PlanOut:
    return PlanOut(
        id=plan.id,
        person_id=plan.person_id,
        episode_id=plan.episode_id,
        status=plan.status,
        goals=list(plan.goals),
        contingency=contingency_of(plan.contingency),
        handover_organisation_id=plan.handover_organisation_id,
        handed_over_at=plan.handed_over_at,
        created_by=plan.created_by,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        actions=[action_out(a) for a in actions],
        reviews=[review_out(r) for r in reviews],
    )


def clean_contingency(contingency: Contingency) -> dict[str, Any]:
    return {
        name: value.strip() if isinstance(value, str) else value
        for name, value in msgspec.structs.asdict(contingency).items()
    }
