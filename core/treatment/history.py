"""Reading structured treatment: one person's history, as the API and the panel show it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.tenancy.models import Organisation
from core.treatment.models import (
    EXIT_LABELS,
    GOAL_LABELS,
    MODALITY_LABELS,
    TreatmentGoal,
    TreatmentModality,
)
from core.treatment.schemas import GoalOut, ModalityOut, TreatmentHistory


async def treatment_history(
    session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID
) -> TreatmentHistory:
    """Goals and modalities of one person, newest first, with names instead of ids."""
    names = await names_in(session, tenant_id)
    modalities = (
        await session.scalars(
            select(TreatmentModality)
            .where(
                TreatmentModality.tenant_id == tenant_id,
                TreatmentModality.person_id == person_id,
            )
            .order_by(
                TreatmentModality.started_on.desc(),
                TreatmentModality.created_at.desc(),
                TreatmentModality.id,
            )
        )
    ).all()
    goals = (
        await session.scalars(
            select(TreatmentGoal)
            .where(
                TreatmentGoal.tenant_id == tenant_id,
                TreatmentGoal.person_id == person_id,
            )
            .order_by(TreatmentGoal.set_on, TreatmentGoal.created_at, TreatmentGoal.id)
        )
    ).all()
    goal_rows: list[GoalOut] = []
    previous: str | None = None
    for goal in goals:
        goal_rows.append(goal_out(goal, names, previous))
        previous = goal.goal
    goal_rows.reverse()
    return TreatmentHistory(
        person_id=person_id,
        current_goal=goal_rows[0] if goal_rows else None,
        goals=goal_rows,
        modalities=[modality_out(m, names) for m in modalities],
    )


async def names_in(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Organisation and user names for the people and partners the rows mention."""
    organisations = await session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.tenant_id == tenant_id)
    )
    names = {row.id: row.name for row in organisations}
    users = await session.execute(
        select(User.id, User.display_name).where(
            User.id.in_(
                select(TreatmentModality.started_by)
                .where(TreatmentModality.tenant_id == tenant_id)
                .union(
                    select(TreatmentModality.ended_by).where(
                        TreatmentModality.tenant_id == tenant_id
                    ),
                    select(TreatmentGoal.set_by).where(TreatmentGoal.tenant_id == tenant_id),
                )
            )
        )
    )
    names.update({row.id: row.display_name for row in users})
    return names


def modality_out(row: TreatmentModality, names: dict[uuid.UUID, str]) -> ModalityOut:
    return ModalityOut(
        id=row.id,
        person_id=row.person_id,
        episode_id=row.episode_id,
        organisation_id=row.organisation_id,
        organisation_name=names.get(row.organisation_id, "another partner"),
        modality=row.modality,
        modality_label=MODALITY_LABELS.get(row.modality, row.modality),
        started_on=row.started_on,
        started_by_name=names.get(row.started_by) if row.started_by else None,
        ended_on=row.ended_on,
        exit_reason=row.exit_reason,
        exit_label=EXIT_LABELS.get(row.exit_reason) if row.exit_reason else None,
        ended_by_name=names.get(row.ended_by) if row.ended_by else None,
        notes=row.notes,
        created_at=row.created_at,
    )


def goal_out(row: TreatmentGoal, names: dict[uuid.UUID, str], previous: str | None) -> GoalOut:
    return GoalOut(
        id=row.id,
        person_id=row.person_id,
        episode_id=row.episode_id,
        organisation_id=row.organisation_id,
        organisation_name=names.get(row.organisation_id, "another partner"),
        goal=row.goal,
        goal_label=GOAL_LABELS.get(row.goal, row.goal),
        set_on=row.set_on,
        set_by_name=names.get(row.set_by) if row.set_by else None,
        reason=row.reason,
        previous_goal=previous,
        created_at=row.created_at,
    )
