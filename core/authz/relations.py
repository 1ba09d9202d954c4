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
