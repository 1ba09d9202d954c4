"""Structured treatment's rules: which modality a person is in, and their goal's history.

- A modality belongs to an open episode and is delivered (and ended) by the organisation
  that recorded it; a person is on at most one prescribing modality at a time, and never
  on the same modality twice at once.
- A goal is never edited: each change is a new row, dated no earlier than the last, and
  every change after the first says why.
"""

from __future__ import annotations

import uuid
from datetime import date

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.episodes.models import Episode, Phase
from core.errors import Conflict, RuleViolation, not_found
from core.interventions.services import get_episode_row
from core.persons.models import Person
from core.tenancy.models import Organisation
from core.treatment.history import goal_out, modality_out, names_in, treatment_history
from core.treatment.models import (
    CATEGORY,
    GOAL_LABELS,
    MODALITY_LABELS,
    PHARMACOLOGICAL,
    ExitReason,
    TreatmentGoal,
    TreatmentModality,
)
from core.treatment.schemas import (
    GoalOut,
    GoalSet,
    ModalityChange,
    ModalityChanged,
    ModalityEnd,
    ModalityOut,
    ModalityStart,
    TreatmentHistory,
)


def clean(text: str | None) -> str | None:
    return (text or "").strip() or None


async def open_episode(
    session: AsyncSession, actor: Actor, person: Person, episode_id: uuid.UUID | None
) -> Episode:
    """The episode a new piece of work belongs to: the one named, or the person's open
    one; 422 when it is closed or there is none. Locked, so that a double submit on one
    episode is serialised."""
    if episode_id is not None:
        episode = await get_episode_row(session, actor, episode_id, person)
    else:
        episode = await session.scalar(
            select(Episode)
            .where(
                Episode.tenant_id == actor.tenant_id,
                Episode.person_id == person.id,
                Episode.closed_at.is_(None),
            )
            .order_by(Episode.opened_at.desc())
            .limit(1)
        )
        if episode is None:
            raise RuleViolation(
                "They have no open episode: this is recorded within one", field="episode_id"
            )
    if episode.closed_at is not None or episode.phase == Phase.CLOSED:
        raise RuleViolation("That episode is closed", field="episode_id")
    await session.refresh(episode, with_for_update=True)
    return episode


class TreatmentService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    # -- reading -------------------------------------------------------------------------

    async def history(self, person_id: uuid.UUID) -> TreatmentHistory:
        person = await self.access.visible_person(person_id)
        await self.access.require(CATEGORY, "read", person.id)
        history = await treatment_history(self.session, self.actor.tenant_id, person.id)
        record(
            self.session,
            self.actor,
            "read",
            "treatment_history",
            person.id,
            person_id=person.id,
            detail={"modalities": len(history.modalities), "goals": len(history.goals)},
        )
        await self.session.commit()
        return history

    # -- modalities ----------------------------------------------------------------------

    async def start(self, data: ModalityStart) -> ModalityOut:
        person = await self.access.visible_person(data.person_id)
        await self.access.require(CATEGORY, "write", person.id)
        episode = await open_episode(self.session, self.actor, person, data.episode_id)
        self._check_day(data.started_on, person, episode, "started_on", "The start")
        await self._check_can_start(person.id, data.modality, except_id=None)
        row = self._new_modality(person, episode, data.modality, data.started_on, data.notes)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "treatment_modality",
            row.id,
            person_id=person.id,
            detail={"modality": row.modality, "started_on": row.started_on.isoformat()},
        )
        out = modality_out(row, await names_in(self.session, self.actor.tenant_id))
        await self.session.commit()
        return out

    async def end(self, modality_id: uuid.UUID, data: ModalityEnd) -> ModalityOut:
        row, person = await self._own_open_modality(modality_id)
        if data.exit_reason == ExitReason.CHANGED_MODALITY:
            raise RuleViolation(
                "To move to another treatment, use 'Change treatment' so the next one is "
                "recorded too",
                field="exit_reason",
            )
        self._end(row, person, data.ended_on, data.exit_reason, data.notes)
        record(
            self.session,
            self.actor,
            "update",
            "treatment_modality",
            row.id,
            person_id=person.id,
            detail={"ended_on": data.ended_on.isoformat(), "exit_reason": data.exit_reason},
        )
        out = modality_out(row, await names_in(self.session, self.actor.tenant_id))
        await self.session.commit()
        return out

    async def change(self, modality_id: uuid.UUID, data: ModalityChange) -> ModalityChanged:
        row, person = await self._own_open_modality(modality_id)
        if data.to == row.modality:
            raise RuleViolation(
                f"They are already on {MODALITY_LABELS[data.to].lower()}", field="to"
            )
        episode = await get_episode_row(self.session, self.actor, row.episode_id, person)
        self._end(row, person, data.changed_on, ExitReason.CHANGED_MODALITY, None)
        await self._check_can_start(person.id, data.to, except_id=row.id)
        started = self._new_modality(person, episode, data.to, data.changed_on, data.notes)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "update",
            "treatment_modality",
            row.id,
            person_id=person.id,
            detail={"changed_on": data.changed_on.isoformat(), "to": started.id.hex},
        )
        record(
            self.session,
            self.actor,
            "create",
            "treatment_modality",
            started.id,
            person_id=person.id,
            detail={"modality": started.modality, "follows": row.id.hex},
        )
        names = await names_in(self.session, self.actor.tenant_id)
        out = ModalityChanged(ended=modality_out(row, names), started=modality_out(started, names))
        await self.session.commit()
        return out

    def _new_modality(
        self, person: Person, episode: Episode, modality: str, on: date, notes: str | None
    ) -> TreatmentModality:
        row = TreatmentModality(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=episode.id,
            organisation_id=self.actor.organisation_id,
            modality=modality,
            started_on=on,
            started_by=self.actor.user_id,
            notes=clean(notes),
        )
        self.session.add(row)
        return row

    def _end(
        self,
        row: TreatmentModality,
        person: Person,
        on: date,
        reason: str,
        notes: str | None,
    ) -> None:
        if on < row.started_on:
            raise RuleViolation(
                f"The end cannot be before the start ({row.started_on:%d %B %Y})",
                field="ended_on" if reason != ExitReason.CHANGED_MODALITY else "changed_on",
            )
        if on > clock.today():
            raise RuleViolation("The end cannot be in the future", field="ended_on")
        row.ended_on = on
        row.exit_reason = reason
        row.ended_by = self.actor.user_id
        if clean(notes):
            row.notes = "\n\n".join(filter(None, [row.notes, clean(notes)]))

    async def _own_open_modality(self, modality_id: uuid.UUID) -> tuple[TreatmentModality, Person]:
        row = await self.session.get(
            TreatmentModality, (self.actor.tenant_id, modality_id), with_for_update=True
        )
        if row is None:
            raise not_found("Treatment")
        person = await self.access.visible_person(row.person_id)
        await self.access.require(CATEGORY, "write", person.id)
        if row.organisation_id != self.actor.organisation_id:
            owner = await self.session.get(
                Organisation, (self.actor.tenant_id, row.organisation_id)
            )
            raise PermissionDeniedException(
                detail=f"Only {owner.name if owner else 'the delivering partner'} can end "
                "or change a treatment it delivers"
            )
        if row.ended_on is not None:
            raise Conflict(detail=f"This treatment already ended on {row.ended_on:%d %B %Y}")
        return row, person

    async def _check_can_start(
        self, person_id: uuid.UUID, modality: str, *, except_id: uuid.UUID | None
    ) -> None:
        open_rows = (
            await self.session.scalars(
                select(TreatmentModality).where(
                    TreatmentModality.tenant_id == self.actor.tenant_id,
                    TreatmentModality.person_id == person_id,
                    TreatmentModality.ended_on.is_(None),
                )
            )
        ).all()
        for other in open_rows:
            if other.id == except_id:
                continue
            if other.modality == modality:
                raise Conflict(
                    detail=f"They are already on {MODALITY_LABELS[modality].lower()}: "
                    "end or change that first"
                )
            if modality in PHARMACOLOGICAL and other.modality in PHARMACOLOGICAL:
                raise RuleViolation(
                    f"They are on {MODALITY_LABELS[other.modality].lower()}: change that "
                    "treatment rather than starting a second prescription",
                    field="modality",
                )

    # -- goals ---------------------------------------------------------------------------

    async def set_goal(self, data: GoalSet) -> GoalOut:
        person = await self.access.visible_person(data.person_id)
        await self.access.require(CATEGORY, "write", person.id)
        episode = await open_episode(self.session, self.actor, person, data.episode_id)
        self._check_day(data.set_on, person, episode, "set_on", "The goal's date")
        latest = await self.session.scalar(
            select(TreatmentGoal)
            .where(
                TreatmentGoal.tenant_id == self.actor.tenant_id,
                TreatmentGoal.person_id == person.id,
            )
            .order_by(TreatmentGoal.set_on.desc(), TreatmentGoal.created_at.desc())
            .limit(1)
        )
        reason = clean(data.reason)
        if latest is not None:
            if latest.goal == data.goal:
                raise RuleViolation(f"{GOAL_LABELS[data.goal]} is already their goal", field="goal")
            if data.set_on < latest.set_on:
                raise RuleViolation(
                    f"The goal changed last on {latest.set_on:%d %B %Y}: a change cannot be "
                    "dated before that",
                    field="set_on",
                )
            if reason is None:
                raise RuleViolation("Say why the goal is changing", field="reason")
        row = TreatmentGoal(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=episode.id,
            organisation_id=self.actor.organisation_id,
            goal=data.goal,
            set_on=data.set_on,
            set_by=self.actor.user_id,
            reason=reason,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "treatment_goal",
            row.id,
            person_id=person.id,
            detail={"goal": row.goal, "previous": latest.goal if latest else None},
        )
        names = await names_in(self.session, self.actor.tenant_id)
        out = goal_out(row, names, latest.goal if latest else None)
        await self.session.commit()
        return out

    # -- shared rules --------------------------------------------------------------------

    def _check_day(
        self, day: date, person: Person, episode: Episode, field: str, label: str
    ) -> None:
        if day > clock.today():
            raise RuleViolation(f"{label} cannot be in the future", field=field)
        if day < episode.opened_at.date():
            raise RuleViolation(
                f"{label} cannot be before the episode opened ({episode.opened_at:%d %B %Y})",
                field=field,
            )
        if person.date_of_birth and day < person.date_of_birth:
            raise RuleViolation(f"{label} cannot be before their date of birth", field=field)
