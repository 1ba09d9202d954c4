"""Interventions: each partner logs its own pieces of work on a person's shared record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar.exceptions import PermissionDeniedException, ValidationException
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.db.base import UTCDateTime, utcnow
from core.episodes.models import Episode
from core.errors import RuleViolation, not_found
from core.interventions.models import Intervention, Setting
from core.interventions.schemas import InterventionCreate, InterventionOut, InterventionUpdate
from core.pagination import Page, keyset, page_of
from core.persons.models import Person
from core.tenancy.models import Organisation

# A device clock a little ahead of the server's is not "the future".
CLOCK_SKEW = timedelta(minutes=5)


async def get_episode_row(
    session: AsyncSession, actor: Actor, episode_id: uuid.UUID, person: Person
) -> Episode:
    """The person's episode in the actor's tenant: 404 when absent or elsewhere, 422 when
    it is another person's."""
    episode = await session.get(Episode, (actor.tenant_id, episode_id))
    if episode is None:
        raise not_found("Episode")
    if episode.person_id != person.id:
        raise RuleViolation("The episode is for a different person", field="episode_id")
    return episode


async def get_organisation_row(
    session: AsyncSession, actor: Actor, organisation_id: uuid.UUID
) -> Organisation:
    """A partner in the actor's tenant, or the same 404 whether absent or elsewhere."""
    organisation = await session.get(Organisation, (actor.tenant_id, organisation_id))
    if organisation is None:
        raise not_found("Organisation")
    return organisation


def utc_cursor_time(value: str) -> BindParameter[datetime]:
    """A cursor's ISO time, bound with the column's own UTC type on every backend."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time in cursor")
    return literal(parsed.astimezone(UTC), UTCDateTime())


def aware_query_time(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValidationException(
            detail=f"{name} needs a time zone, e.g. 2026-05-01T09:00:00Z",
            extra=[{"key": name, "message": "needs a time zone"}],
        )
    return value.astimezone(UTC)


def clean_notes(notes: str | None) -> str | None:
    if notes is None:
        return None
    return notes.strip() or None


def intervention_out(row: Intervention) -> InterventionOut:
    return InterventionOut(
        id=row.id,
        person_id=row.person_id,
        episode_id=row.episode_id,
        organisation_id=row.organisation_id,
        kind=row.kind,
        category=row.category,
        setting=row.setting,
        occurred_at=row.occurred_at,
        duration_minutes=row.duration_minutes,
        notes=row.notes,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def check_occurred_at(occurred_at: datetime, person: Person) -> datetime:
    occurred_at = occurred_at.astimezone(UTC)
    if occurred_at > utcnow() + CLOCK_SKEW:
        raise RuleViolation("An intervention cannot be logged in the future", field="occurred_at")
    if occurred_at.date() < person.date_of_birth:
        raise RuleViolation(
            "The intervention is dated before the person's date of birth", field="occurred_at"
        )
    return occurred_at


class InterventionService:
    def __init__(self, session: AsyncSession, access: Access, kinds: dict[str, str]) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor
        self.kinds = kinds

    async def list(
        self,
        *,
        person_id: uuid.UUID | None,
        organisation_id: uuid.UUID | None,
        kind: str | None,
        category: str | None,
        setting: Setting | None,
        occurred_from: datetime | None,
        occurred_to: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[InterventionOut]:
        occurred_from = aware_query_time(occurred_from, "occurred_from")
        occurred_to = aware_query_time(occurred_to, "occurred_to")
        stmt = select(Intervention).where(
            Intervention.tenant_id == self.actor.tenant_id,
            # Each row carries its own category (from its kind): one clause covers them all.
            self.access.rows_filter(Intervention.category, Intervention.person_id),
        )
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(Intervention.person_id == person_id)
        if organisation_id is not None:
            stmt = stmt.where(Intervention.organisation_id == organisation_id)
        if kind is not None:
            stmt = stmt.where(Intervention.kind == kind)
        if category is not None:
            stmt = stmt.where(Intervention.category == category)
        if setting is not None:
            stmt = stmt.where(Intervention.setting == setting)
        if occurred_from is not None:
            stmt = stmt.where(Intervention.occurred_at >= occurred_from)
        if occurred_to is not None:
            stmt = stmt.where(Intervention.occurred_at < occurred_to)
        stmt = keyset(
            stmt,
            [Intervention.occurred_at, Intervention.id],
            cursor,
            limit,
            descending=True,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda i: [i.occurred_at.isoformat(), str(i.id)])
        record(
            self.session,
            self.actor,
            "list",
            "intervention",
            person_id=person_id,
            detail={
                "organisation_id": str(organisation_id) if organisation_id else None,
                "kind": kind,
                "category": category,
                "setting": setting,
                "occurred_from": occurred_from.isoformat() if occurred_from else None,
                "occurred_to": occurred_to.isoformat() if occurred_to else None,
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(items=[intervention_out(i) for i in rows], next_cursor=next_cursor)

    async def get(self, intervention_id: uuid.UUID) -> Intervention:
        row = await self._row(intervention_id)
        await self.access.require(row.category, "read", row.person_id)
        record(self.session, self.actor, "read", "intervention", row.id, person_id=row.person_id)
        await self.session.commit()
        return row

    async def create(self, data: InterventionCreate) -> Intervention:
        category = self.kinds.get(data.kind)
        if category is None:
            # The known kinds are listed at /intervention-kinds; the input is not echoed.
            raise RuleViolation("Unknown intervention kind", field="kind")
        person = await self.access.visible_person(data.person_id)
        await self.access.require(category, "write", person.id)
        if data.episode_id is not None:
            await get_episode_row(self.session, self.actor, data.episode_id, person)
        occurred_at = check_occurred_at(data.occurred_at, person)
        row = Intervention(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=data.episode_id,
            # Partners log their own work: the organisation is the actor's, never the body's.
            organisation_id=self.actor.organisation_id,
            kind=data.kind,
            category=category,
            setting=data.setting,
            occurred_at=occurred_at,
            duration_minutes=data.duration_minutes,
            notes=clean_notes(data.notes),
            recorded_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        self.access.forget(person.id)
        record(
            self.session,
            self.actor,
            "create",
            "intervention",
            row.id,
            person_id=person.id,
            detail={"kind": row.kind, "category": row.category},
        )
        await self.session.commit()
        return row

    async def update(self, intervention_id: uuid.UUID, data: InterventionUpdate) -> Intervention:
        row = await self._row(intervention_id, for_update=True)
        await self.access.require(row.category, "write", row.person_id)
        if row.organisation_id != self.actor.organisation_id:
            owner = await get_organisation_row(self.session, self.actor, row.organisation_id)
            raise PermissionDeniedException(
                detail=f"Only {owner.name} can change its own interventions"
            )
        changes: dict[str, Any] = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if "occurred_at" in changes:
            person = await self.access.visible_person(row.person_id)
            changes["occurred_at"] = check_occurred_at(changes["occurred_at"], person)
        if "notes" in changes:
            changes["notes"] = clean_notes(changes["notes"])
        for name, value in changes.items():
            setattr(row, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "intervention",
            row.id,
            person_id=row.person_id,
            detail={"fields": sorted(changes)},
        )
        await self.session.commit()
        return row

    async def _row(self, intervention_id: uuid.UUID, *, for_update: bool = False) -> Intervention:
        row = await self.session.get(
            Intervention, (self.actor.tenant_id, intervention_id), with_for_update=for_update
        )
        if row is None:
            raise not_found("Intervention")
        return row
