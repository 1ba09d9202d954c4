"""Family support's rules: contacts only under consent, sessions logged, family days
planned before release (Leicester: "involve the prisoner's immediate family in planning
and preparing for their release").

The service is assembled from one part per sub-domain: ``contacts``, ``family_sessions``
and ``family_days``; ``common`` holds what they share.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from plugins.family_support.common import contact_out
from plugins.family_support.contacts import ContactsMixin
from plugins.family_support.family_days import FamilyDaysMixin
from plugins.family_support.family_sessions import SessionsMixin
from plugins.family_support.models import FamilyContact, FamilyDay, FamilyDayStatus


class FamilySupportService(ContactsMixin, SessionsMixin, FamilyDaysMixin):
    """Family support's API and pages: every method checks the protocol and audits."""


async def person_panel(session: AsyncSession, access: Any, person_id: uuid.UUID) -> dict[str, Any]:
    """The person record's family panel: contacts and the next family day; an audited
    read. Core calls it only for a viewer who may read ``family``."""
    tenant_id = access.actor.tenant_id
    contacts = (
        await session.scalars(
            select(FamilyContact)
            .where(FamilyContact.tenant_id == tenant_id, FamilyContact.person_id == person_id)
            .order_by(FamilyContact.created_at, FamilyContact.id)
        )
    ).all()
    next_day = await session.scalar(
        select(FamilyDay)
        .where(
            FamilyDay.tenant_id == tenant_id,
            FamilyDay.person_id == person_id,
            FamilyDay.status == FamilyDayStatus.PLANNED,
        )
        .order_by(FamilyDay.planned_on, FamilyDay.id)
        .limit(1)
    )
    record(session, access.actor, "read", "family_panel", person_id=person_id)
    await session.commit()
    return {
        "contacts": [contact_out(c) for c in contacts],
        "next_family_day": next_day.planned_on if next_day else None,
    }
