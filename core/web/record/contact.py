"""Who to contact about a person: the key worker, their organisation, the lead partner.

This is identity-level information (``core.authz.fields`` files it with who the person
is): anyone who may see the person at all is told whom to ask, including a viewer whose
organisation is not shown the episode's case notes (an NHS nurse). So it is read from the
person's current episode directly, not from the episode list, which is filtered by the
case-notes category.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.authz.actor import Actor
from core.episodes.models import Episode, Phase


class Contact(msgspec.Struct, frozen=True):
    key_worker_id: uuid.UUID | None = None
    key_worker: str | None = None
    key_worker_organisation: str | None = None
    lead_organisation_id: uuid.UUID | None = None
    lead_organisation: str | None = None

    def as_fields(self) -> dict[str, Any]:
        """The fields :class:`core.authz.fields.EpisodeView` shows of them."""
        return {
            "key_worker_id": self.key_worker_id,
            "key_worker": self.key_worker,
            "lead_organisation_id": self.lead_organisation_id,
            "lead_organisation": self.lead_organisation,
        }


async def person_contact(
    session: AsyncSession,
    actor: Actor,
    person_id: uuid.UUID,
    organisations: dict[uuid.UUID, str],
) -> Contact:
    """The contact on the person's current episode (the open one most recently opened,
    else the latest). The caller has already read the person through the audited service."""
    episode = await session.scalar(
        select(Episode)
        .where(Episode.tenant_id == actor.tenant_id, Episode.person_id == person_id)
        .order_by(
            (Episode.closed_at.is_(None) & (Episode.phase != Phase.CLOSED)).desc(),
            Episode.opened_at.desc(),
        )
        .limit(1)
    )
    if episode is None:
        return Contact()
    name = organisation = None
    if episode.key_worker_id is not None:
        row = (
            await session.execute(
                select(User.display_name, Membership.organisation_id)
                .join(
                    Membership,
                    (Membership.user_id == User.id) & (Membership.tenant_id == actor.tenant_id),
                    isouter=True,
                )
                .where(User.id == episode.key_worker_id)
                .limit(1)
            )
        ).first()
        if row is not None:
            name = row[0]
            organisation = organisations.get(row[1]) if row[1] else None
    return Contact(
        key_worker_id=episode.key_worker_id,
        key_worker=name,
        key_worker_organisation=organisation,
        lead_organisation_id=episode.lead_organisation_id,
        lead_organisation=organisations.get(episode.lead_organisation_id)
        if episode.lead_organisation_id
        else None,
    )
