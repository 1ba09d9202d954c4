"""Naloxone: training, and kit supply (the kit type, first or repeat, and why a repeat)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from core.audit.services import record
from core.errors import RuleViolation
from core.pagination import Page, person_page
from plugins.harm_reduction.common import (
    HEALTH,
    HarmReductionBase,
    check_past,
    clean,
    supply_out,
    training_out,
)
from plugins.harm_reduction.models import NaloxoneSupply, NaloxoneTraining, Supply
from plugins.harm_reduction.schemas import SupplyCreate, SupplyOut, TrainingCreate, TrainingOut


class NaloxoneMixin(HarmReductionBase):
    async def record_training(self, data: TrainingCreate) -> NaloxoneTraining:
        person = await self._person(data.person_id, HEALTH, "write")
        row = NaloxoneTraining(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            organisation_id=self.actor.organisation_id,
            trained_at=check_past(data.trained_at, person, "trained_at", "Naloxone training"),
            trainee=data.trainee,
            notes=clean(data.notes),
            recorded_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "naloxone_training",
            row.id,
            person_id=person.id,
            detail={"trainee": row.trainee},
        )
        await self.session.commit()
        return row

    async def record_supply(self, data: SupplyCreate) -> NaloxoneSupply:
        person = await self._person(data.person_id, HEALTH, "write")
        supplied_at = check_past(data.supplied_at, person, "supplied_at", "A naloxone supply")
        if data.supply == Supply.REPEAT and data.repeat_reason is None:
            raise RuleViolation(
                "A repeat supply needs its reason (used, lost, confiscated, expired, "
                "damaged or other)",
                field="repeat_reason",
            )
        if data.supply == Supply.FIRST:
            if data.repeat_reason is not None:
                raise RuleViolation("A first supply has no repeat reason", field="repeat_reason")
            earlier = await self.session.scalar(
                select(func.min(NaloxoneSupply.supplied_at)).where(
                    NaloxoneSupply.tenant_id == self.actor.tenant_id,
                    NaloxoneSupply.person_id == person.id,
                )
            )
            if earlier is not None:
                raise RuleViolation(
                    f"The person had a first kit on {earlier.date().isoformat()}: "
                    "record this as a repeat supply, with its reason",
                    field="supply",
                )
        row = NaloxoneSupply(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            organisation_id=self.actor.organisation_id,
            supplied_at=supplied_at,
            kit_type=data.kit_type,
            supply=data.supply,
            repeat_reason=data.repeat_reason,
            notes=clean(data.notes),
            recorded_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "naloxone_supply",
            row.id,
            person_id=person.id,
            detail={"kit_type": row.kit_type, "supply": row.supply},
        )
        await self.session.commit()
        return row

    async def list_supplies(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[SupplyOut]:
        person = await self._person(person_id, HEALTH, "read")
        rows, next_cursor = await person_page(
            self.session,
            self.actor,
            NaloxoneSupply.supplied_at,
            person.id,
            cursor,
            limit,
            audit_as="naloxone_supply",
        )
        return Page(items=[supply_out(r) for r in rows], next_cursor=next_cursor)

    async def list_trainings(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[TrainingOut]:
        person = await self._person(person_id, HEALTH, "read")
        rows, next_cursor = await person_page(
            self.session,
            self.actor,
            NaloxoneTraining.trained_at,
            person.id,
            cursor,
            limit,
            audit_as="naloxone_training",
        )
        return Page(items=[training_out(r) for r in rows], next_cursor=next_cursor)
