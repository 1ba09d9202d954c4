"""Who works with whom: the rows behind the ``own_organisation`` and ``assigned`` scopes.

Services call these when work creates a relation (an episode's lead organisation and key
worker, an organisation logging an intervention, an allocation). Both are idempotent.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.models import PersonAssignment, PersonOrganisation


async def link_organisation(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
    reason: str,
) -> None:
    if organisation_id is None:
        return
    key = (tenant_id, organisation_id, person_id)
    if await session.get(PersonOrganisation, key) is None:
        session.add(
            PersonOrganisation(
                tenant_id=tenant_id,
                organisation_id=organisation_id,
                person_id=person_id,
                reason=reason,
            )
        )
        await session.flush()


async def assign(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    user_id: uuid.UUID | None,
    reason: str,
) -> None:
    if user_id is None:
        return
    if await session.get(PersonAssignment, (tenant_id, user_id, person_id)) is None:
        session.add(
            PersonAssignment(
                tenant_id=tenant_id, user_id=user_id, person_id=person_id, reason=reason
            )
        )
        await session.flush()


async def unassign(
    session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await session.execute(
        delete(PersonAssignment).where(
            PersonAssignment.tenant_id == tenant_id,
            PersonAssignment.user_id == user_id,
            PersonAssignment.person_id == person_id,
        )
    )


async def organisations_of(
    session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        (
            await session.scalars(
                select(PersonOrganisation.organisation_id).where(
                    PersonOrganisation.tenant_id == tenant_id,
                    PersonOrganisation.person_id == person_id,
                )
            )
        ).all()
    )


async def rebuild(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Derive who works with whom from a tenant's records, for data loaded in bulk (the
    demo, imports). Idempotent: existing relations are kept."""
    from sqlalchemy import func, literal
    from sqlalchemy.dialects import postgresql, sqlite

    from core.assessments.models import Assessment
    from core.episodes.models import Episode
    from core.interventions.models import Intervention
    from core.outcomes.models import OutcomeReview
    from core.referrals.models import Referral

    sources = [
        ("episode_lead", Episode.lead_organisation_id, Episode.person_id, Episode.opened_at),
        ("referral", Referral.referring_organisation_id, Referral.person_id, Referral.received_at),
        (
            "intervention",
            Intervention.organisation_id,
            Intervention.person_id,
            Intervention.occurred_at,
        ),
        ("assessment", Assessment.organisation_id, Assessment.person_id, Assessment.completed_at),
        (
            "outcome_review",
            OutcomeReview.organisation_id,
            OutcomeReview.person_id,
            OutcomeReview.created_at,
        ),
    ]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    for reason, org, person, at in sources:
        table = org.class_
        chosen = (
            select(
                table.tenant_id,
                org.label("organisation_id"),
                person.label("person_id"),
                literal(reason).label("reason"),
                func.min(at).label("since"),
            )
            .where(table.tenant_id == tenant_id, org.is_not(None))
            .group_by(table.tenant_id, org, person)
        )
        await session.execute(
            dialect.insert(PersonOrganisation)
            .from_select(["tenant_id", "organisation_id", "person_id", "reason", "since"], chosen)
            .on_conflict_do_nothing()
        )
    keyworkers = (
        select(
            Episode.tenant_id,
            Episode.key_worker_id,
            Episode.person_id,
            literal("key_worker").label("reason"),
            func.min(Episode.opened_at).label("since"),
        )
        .where(
            Episode.tenant_id == tenant_id,
            Episode.key_worker_id.is_not(None),
            Episode.closed_at.is_(None),
        )
        .group_by(Episode.tenant_id, Episode.key_worker_id, Episode.person_id)
    )
    await session.execute(
        dialect.insert(PersonAssignment)
        .from_select(["tenant_id", "user_id", "person_id", "reason", "since"], keyworkers)
        .on_conflict_do_nothing()
    )
