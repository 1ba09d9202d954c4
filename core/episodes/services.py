"""Episodes: one period of support for a person, moving through phases by an explicit table.

The helpers at the top (opening an episode, moving its phase) write in the caller's
transaction and never commit, so a referral can open an episode, or a declined offer close
one, in the same transaction as the referral itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.relations import (
    decide_assignment,
    decide_organisation,
    require_allocation,
    unassign,
)
from core.db.base import utcnow
from core.episodes.models import Episode, Phase, PhaseChange
from core.episodes.outputs import episode_out, episode_summary
from core.episodes.schemas import EpisodeOut, EpisodeSummary, EpisodeUpdate, PhaseMove
from core.errors import Conflict, RuleViolation, not_found
from core.events import publish
from core.pagination import Page, keyset, page_of
from core.tenancy.models import Organisation
from core.vocabulary import RECORD_CATEGORIES

CATEGORY = RECORD_CATEGORIES["episode"]


# Where an episode may go from each phase. Support is not a straight line: liberation can be
# postponed (pre_liberation -> in_custody_support) and people return to custody
# (community -> in_custody_support). A closed episode stays closed: a re-referral opens a
# new episode linked to it.
ALLOWED_MOVES: dict[Phase, tuple[Phase, ...]] = {
    Phase.REFERRAL: (Phase.ASSESSMENT, Phase.CLOSED),
    Phase.ASSESSMENT: (Phase.IN_CUSTODY_SUPPORT, Phase.COMMUNITY, Phase.CLOSED),
    Phase.IN_CUSTODY_SUPPORT: (Phase.PRE_LIBERATION, Phase.CLOSED),
    Phase.PRE_LIBERATION: (Phase.COMMUNITY, Phase.IN_CUSTODY_SUPPORT, Phase.CLOSED),
    Phase.COMMUNITY: (Phase.IN_CUSTODY_SUPPORT, Phase.CLOSED),
    Phase.CLOSED: (),
}


def parse_time(value: str) -> datetime:
    """A cursor's time back from its ISO form (cursor keys are JSON)."""
    return datetime.fromisoformat(value)


async def get_episode_row(
    session: AsyncSession, actor: Actor, episode_id: uuid.UUID, *, for_update: bool = False
) -> Episode:
    """The episode in the actor's tenant, or the same 404 whether absent or elsewhere."""
    stmt = select(Episode).where(Episode.tenant_id == actor.tenant_id, Episode.id == episode_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    episode = await session.scalar(stmt)
    if episode is None:
        raise not_found("Episode")
    return episode


async def get_organisation_row(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID
) -> Organisation:
    """A partner in the actor's tenant, or the same 404 whether absent or elsewhere."""
    organisation = await session.get(Organisation, (actor.tenant_id, organisation_id))
    if organisation is None:
        raise not_found("Organisation")
    return organisation


async def is_active_member(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """The user is active and holds an active membership of the tenant."""
    found = await session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.user_id == user_id,
            Membership.is_active.is_(True),
            User.is_active.is_(True),
        )
    )
    return found is not None


async def latest_episode(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    open_only: bool = False,
    for_update: bool = False,
) -> Episode | None:
    """The person's most recently opened episode (optionally only one that is not closed).

    ``for_update`` locks it (PostgreSQL), so that a concurrent phase move, e.g. a declined
    offer closing it, either happens first and is seen, or waits for the caller.
    """
    stmt = select(Episode).where(Episode.tenant_id == tenant_id, Episode.person_id == person_id)
    if open_only:
        stmt = stmt.where(Episode.phase != Phase.CLOSED)
    stmt = stmt.order_by(Episode.opened_at.desc(), Episode.created_at.desc()).limit(1)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def phase_history(
    session: AsyncSession, tenant_id: uuid.UUID, episode_id: uuid.UUID
) -> list[PhaseChange]:
    stmt = (
        select(PhaseChange)
        .where(PhaseChange.tenant_id == tenant_id, PhaseChange.episode_id == episode_id)
        .order_by(PhaseChange.changed_at, PhaseChange.created_at)
    )
    return list((await session.scalars(stmt)).all())


def refused_move_message(current: str, to: str) -> str:
    allowed = ALLOWED_MOVES[Phase(current)]
    if not allowed:
        return (
            f"An episode in phase '{current}' cannot move to '{to}': it is closed; "
            "a new referral opens a new episode"
        )
    names = ", ".join(phase.value for phase in allowed)
    return f"An episode in phase '{current}' cannot move to '{to}'; allowed: {names}"


async def open_episode(
    session: AsyncSession, actor: Actor, person_id: uuid.UUID, *, reason: str | None = None
) -> Episode:
    """Open a new episode in phase ``referral``, linked to the person's latest episode.

    Writes the episode, its first phase change and the audit event; does not commit.
    """
    previous = await latest_episode(session, actor.tenant_id, person_id)
    now = utcnow()
    episode = Episode(
        tenant_id=actor.tenant_id,
        person_id=person_id,
        previous_episode_id=previous.id if previous else None,
        phase=Phase.REFERRAL,
        opened_at=now,
    )
    session.add(episode)
    await session.flush()
    session.add(
        PhaseChange(
            tenant_id=actor.tenant_id,
            episode_id=episode.id,
            from_phase=None,
            to_phase=Phase.REFERRAL,
            changed_at=now,
            changed_by=actor.user_id,
            reason=reason,
        )
    )
    record(
        session,
        actor,
        "create",
        "episode",
        episode.id,
        person_id=person_id,
        detail={"previous_episode_id": str(previous.id) if previous else None},
    )
    return episode


def move_phase(
    session: AsyncSession, actor: Actor, episode: Episode, to: Phase, reason: str | None
) -> PhaseChange:
    """Move the episode along ALLOWED_MOVES, or 409 naming the moves that are allowed.

    Writes the phase change and the audit event; does not commit.
    """
    current = episode.phase
    if to not in ALLOWED_MOVES[Phase(current)]:
        message = refused_move_message(current, to)
        raise Conflict(detail=message, extra=[{"key": "to", "message": message}])
    now = utcnow()
    episode.phase = to
    if to == Phase.CLOSED:
        episode.closed_at = now
        episode.closed_reason = reason
    change = PhaseChange(
        tenant_id=episode.tenant_id,
        episode_id=episode.id,
        from_phase=current,
        to_phase=to,
        changed_at=now,
        changed_by=actor.user_id,
        reason=reason,
    )
    session.add(change)
    record(
        session,
        actor,
        "update",
        "episode",
        episode.id,
        person_id=episode.person_id,
        detail={"from_phase": current, "to_phase": str(to), "reason": reason},
    )
    return change


class EpisodeService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def list(
        self,
        *,
        person_id: uuid.UUID | None,
        phase: Phase | None,
        key_worker_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[EpisodeSummary]:
        stmt = select(Episode).where(
            Episode.tenant_id == self.actor.tenant_id,
            self.access.person_filter(CATEGORY, person_id=Episode.person_id),
        )
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(Episode.person_id == person_id)
        if phase is not None:
            stmt = stmt.where(Episode.phase == phase)
        if key_worker_id is not None:
            stmt = stmt.where(Episode.key_worker_id == key_worker_id)
        stmt = keyset(
            stmt,
            [Episode.opened_at, Episode.id],
            cursor,
            limit,
            descending=True,
            convert=[parse_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda e: [e.opened_at.isoformat(), str(e.id)])
        record(
            self.session,
            self.actor,
            "list",
            "episode",
            person_id=person_id,
            detail={
                "phase": phase,
                "key_worker_id": str(key_worker_id) if key_worker_id else None,
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(items=[episode_summary(e) for e in rows], next_cursor=next_cursor)

    async def get(self, episode_id: uuid.UUID) -> EpisodeOut:
        episode = await get_episode_row(self.session, self.actor, episode_id)
        await self.access.require(CATEGORY, "read", episode.person_id)
        history = await phase_history(self.session, self.actor.tenant_id, episode.id)
        record(self.session, self.actor, "read", "episode", episode.id, person_id=episode.person_id)
        await self.session.commit()
        return episode_out(episode, history)

    async def update(self, episode_id: uuid.UUID, data: EpisodeUpdate) -> EpisodeOut:
        episode = await get_episode_row(self.session, self.actor, episode_id, for_update=True)
        await self.access.require(CATEGORY, "write", episode.person_id)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        key_worker_id = changes.get("key_worker_id")
        if key_worker_id is not None and not await is_active_member(
            self.session, self.actor.tenant_id, key_worker_id
        ):
            raise RuleViolation(
                "The key worker must be an active member of this partnership",
                field="key_worker_id",
            )
        lead_organisation_id = changes.get("lead_organisation_id")
        if lead_organisation_id is not None:
            await get_organisation_row(self.session, self.actor, lead_organisation_id)
        previous_key_worker = episode.key_worker_id
        tenant_id, person_id = self.actor.tenant_id, episode.person_id
        # The lead organisation and the key worker are who the scopes follow, so changing
        # either is an allocation: only someone the protocol entitles may make it, and
        # making oneself key worker needs the protocol to say so too.
        key_worker_changed = "key_worker_id" in changes and previous_key_worker != key_worker_id
        lead_changed = (
            "lead_organisation_id" in changes
            and episode.lead_organisation_id != lead_organisation_id
        )
        if key_worker_changed or lead_changed:
            await require_allocation(
                self.access, person_id, user_id=key_worker_id if key_worker_changed else None
            )
        for name, value in changes.items():
            setattr(episode, name, value)
        if key_worker_changed:
            if previous_key_worker is not None and not await self._still_key_worker(
                previous_key_worker, episode
            ):
                await unassign(self.session, tenant_id, person_id, previous_key_worker)
            await decide_assignment(self.access, person_id, key_worker_id, "key_worker")
        if lead_changed:
            await decide_organisation(self.access, person_id, lead_organisation_id, "episode_lead")
        self.access.forget(person_id)
        record(
            self.session,
            self.actor,
            "update",
            "episode",
            episode.id,
            person_id=episode.person_id,
            detail={"fields": sorted(changes)},
        )
        history = await phase_history(self.session, self.actor.tenant_id, episode.id)
        await self.session.commit()
        return episode_out(episode, history)

    async def move(self, episode_id: uuid.UUID, data: PhaseMove) -> EpisodeOut:
        episode = await get_episode_row(self.session, self.actor, episode_id, for_update=True)
        await self.access.require(CATEGORY, "write", episode.person_id)
        reason = data.reason.strip() if data.reason else None
        move_phase(self.session, self.actor, episode, data.to, reason)
        if data.to == Phase.CLOSED:
            await publish(
                self.session,
                self.actor,
                "episode_closed",
                person_id=episode.person_id,
                data={"episode_id": str(episode.id)},
            )
        history = await phase_history(self.session, self.actor.tenant_id, episode.id)
        await self.session.commit()
        return episode_out(episode, history)

    async def _still_key_worker(self, user_id: uuid.UUID, episode: Episode) -> bool:
        """The user is key worker on another of the person's open episodes."""
        found = await self.session.scalar(
            select(Episode.id).where(
                Episode.tenant_id == self.actor.tenant_id,
                Episode.person_id == episode.person_id,
                Episode.id != episode.id,
                Episode.key_worker_id == user_id,
                Episode.phase != Phase.CLOSED,
            )
        )
        return found is not None
