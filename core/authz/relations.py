"""Who works with whom: the rows behind the ``own_organisation`` and ``assigned`` scopes.

A relation widens what its holder may read, so it is made only by a decision the protocol
names, never as a side effect of writing a record: services call :func:`decide_organisation`
and :func:`decide_assignment` when a referral is accepted, an episode's lead organisation or
key worker is set, a mentor is matched or a plan handed over. Each checks that the actor is
entitled to allocate (``allocation, write`` for the person; ``self_allocation, write`` as
well to allocate oneself), records who decided and why, and audits a ``decide`` event.

:func:`link_organisation` and :func:`assign` are the bare, idempotent writes underneath,
for data loaded in bulk (the demo, imports); no request path calls them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.models import PersonAssignment, PersonOrganisation

if TYPE_CHECKING:
    from core.authz.access import Access

ALLOCATION = "allocation"
SELF_ALLOCATION = "self_allocation"


async def require_allocation(
    access: Access, person_id: uuid.UUID, *, user_id: uuid.UUID | None = None
) -> None:
    """403 (audited) unless the actor may allocate for this person; allocating oneself
    (``user_id`` is the actor) needs the protocol to say so as well."""
    await access.require(ALLOCATION, "write", person_id)
    if user_id is not None and user_id == access.actor.user_id:
        decision = await access.decide(SELF_ALLOCATION, "write", person_id)
        if not decision.allowed:
            await access._deny(
                SELF_ALLOCATION,
                "write",
                person_id,
                "You cannot allocate yourself to a person: someone entitled to allocate "
                "must make that decision.",
            )


async def decide_organisation(
    access: Access,
    person_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
    basis: str,
    note: str | None = None,
    *,
    checked: bool = False,
) -> bool:
    """The organisation works with the person from now on, by the actor's decision.

    ``checked`` is for a decision whose own permission is the entitlement (registering a
    new person); otherwise the actor must be entitled to allocate. True when a relation
    was made (it did not exist).
    """
    if organisation_id is None:
        return False
    if not checked:
        await require_allocation(access, person_id)
    row = PersonOrganisation(organisation_id=organisation_id, person_id=person_id)
    return await _decided(
        access, row, "person_organisation", {"organisation_id": organisation_id}, basis, note
    )


async def decide_assignment(
    access: Access,
    person_id: uuid.UUID,
    user_id: uuid.UUID | None,
    basis: str,
    note: str | None = None,
) -> bool:
    """The user is allocated to the person (key worker, mentor), by the actor's decision."""
    if user_id is None:
        return False
    await require_allocation(access, person_id, user_id=user_id)
    row = PersonAssignment(user_id=user_id, person_id=person_id)
    return await _decided(access, row, "person_assignment", {"user_id": user_id}, basis, note)


async def _decided(
    access: Access,
    row: PersonOrganisation | PersonAssignment,
    kind: str,
    holder: dict[str, uuid.UUID],
    basis: str,
    note: str | None,
) -> bool:
    """Record an allowed decision: the relation row (unless it exists), the audit event,
    and the actor's cached scope dropped so the widened access shows at once."""
    session, actor = access.session, access.actor
    (holder_id,) = holder.values()
    if await session.get(type(row), (actor.tenant_id, holder_id, row.person_id)):
        return False
    row.tenant_id = actor.tenant_id
    row.reason = basis
    row.decided_by = actor.user_id
    row.decision_note = note
    session.add(row)
    await session.flush()
    detail = {**{k: str(v) for k, v in holder.items()}, "basis": basis, "note": note}
    record(session, actor, "decide", kind, person_id=row.person_id, detail=detail)
    access.forget(row.person_id)
    return True


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
    """Derive who works with whom from a tenant's decisions, for data loaded in bulk (the
    demo, imports): episodes' lead organisations, the referring organisations of accepted
    referrals, and open episodes' key workers. Records written (interventions,
    assessments, reviews) make no relation, as on the live path. Idempotent: existing
    relations are kept."""
    from sqlalchemy import func, literal
    from sqlalchemy.dialects import postgresql, sqlite

    from core.episodes.models import Episode
    from core.referrals.models import Referral, ReferralDecision

    sources = [
        (
            "episode_lead",
            Episode.lead_organisation_id,
            Episode.person_id,
            Episode.opened_at,
            Episode.lead_organisation_id.is_not(None),
        ),
        (
            "referral_accepted",
            Referral.referring_organisation_id,
            Referral.person_id,
            Referral.received_at,
            Referral.decision.is_not(None) & (Referral.decision != ReferralDecision.DECLINED),
        ),
    ]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    for reason, org, person, at, decided in sources:
        table = org.class_
        chosen = (
            select(
                table.tenant_id,
                org.label("organisation_id"),
                person.label("person_id"),
                literal(reason).label("reason"),
                func.min(at).label("since"),
            )
            .where(table.tenant_id == tenant_id, org.is_not(None), decided)
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
