"""Read-only queries the pages need that the domain services do not offer.

Each list is audited like the services' lists. The caseload page's own query (filters,
sorts, keyset pages, the bounded count) is core.persons.caseload_page, named here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.assessments.models import INITIAL_KINDS, Assessment
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import IDENTITY
from core.persons.caseload_page import (  # noqa: F401 - the caseload page's query, kept here by name
    COUNT_CAP,
    LIBERATION_WINDOWS,
    PAGE_SIZE,
    PEOPLE,
    SORTS,
    Caseload,
    CaseloadFilters,
    CaseloadRow,
    caseload,
    has_own_people,
    latest_episode_id,
    parse_uuid,
    sees_no_person,
)
from core.persons.models import Person
from core.referrals.models import ReferralDecision
from core.tenancy.models import Organisation, Tenant
from core.web.filters import govuk_date


async def assessment_flag(
    session: AsyncSession, tenant_id: uuid.UUID, referrals: Sequence[Any], today: date
) -> str | None:
    """The record's assessment tag, from the referrals the viewer may see: the latest one not
    declined, until its initial assessment is recorded. The date is the referral's own
    ``assessment_due_on``, the one its task carries (core/jobs/reminders.py)."""
    live = [r for r in referrals if r.decision != ReferralDecision.DECLINED]
    if not live:
        return None
    current = max(live, key=lambda r: r.received_at)
    done = await session.scalar(
        select(
            exists().where(
                Assessment.tenant_id == tenant_id,
                Assessment.referral_id == current.id,
                Assessment.kind.in_(INITIAL_KINDS),
            )
        )
    )
    if done:
        return None
    due = govuk_date(current.assessment_due_on)
    if current.assessment_due_on < today:
        return f"Initial assessment overdue (due {due})"
    return f"Initial assessment due {due}"


async def tenant_name(session: AsyncSession, actor: Actor) -> str:
    return await session.scalar(select(Tenant.name).where(Tenant.id == actor.tenant_id)) or ""


async def organisations(session: AsyncSession, actor: Actor) -> list[Organisation]:
    return list(
        (
            await session.scalars(
                select(Organisation)
                .where(Organisation.tenant_id == actor.tenant_id)
                .order_by(Organisation.name)
            )
        ).all()
    )


async def members(session: AsyncSession, actor: Actor) -> list[tuple[uuid.UUID, str, uuid.UUID]]:
    """(user id, display name, organisation id) of the partnership's active members."""
    rows = await session.execute(
        select(User.id, User.display_name, Membership.organisation_id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.tenant_id == actor.tenant_id,
            Membership.is_active.is_(True),
            User.is_active.is_(True),
        )
        .order_by(User.display_name)
    )
    return [(uid, name, org) for uid, name, org in rows.all()]


async def user_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows.all()}


async def person_names(
    session: AsyncSession, access: Access, person_ids: set[uuid.UUID], via: str
) -> dict[uuid.UUID, str]:
    """The "Family, Given" name of each of these people whose identity this user may read.

    A list that names people (the mentoring schedule, family days) reads their identity,
    so the names it shows are audited like the caseload's; someone not shared is left out.
    """
    readable = await access.readable_for(list(person_ids), [IDENTITY])
    shown = [pid for pid, categories in readable.items() if IDENTITY in categories]
    if not shown:
        return {}
    rows = await session.execute(
        select(Person.id, Person.family_name, Person.given_name).where(
            Person.tenant_id == access.actor.tenant_id, Person.id.in_(shown)
        )
    )
    names = {pid: f"{family}, {given}" for pid, family, given in rows.all()}
    record(
        session,
        access.actor,
        "list",
        "person",
        detail={"via": via, "returned": len(names), "person_ids": sorted(map(str, names))},
    )
    await session.commit()
    return names
