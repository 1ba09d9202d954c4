"""Reading and changing one person's housing record: its authority and needs, and the
steps along the pipeline (each allowed only from the step before).
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.exc import IntegrityError

from core import clock
from core.audit.services import record
from core.errors import Conflict, RuleViolation
from core.persons.services import get_person_row
from plugins.housing.models import HousingStep, RegistrationRule, Status
from plugins.housing.records import HousingBase, new_record
from plugins.housing.rules import ALLOWED, CATEGORY, rule_of
from plugins.housing.schemas import HousingCreate, HousingOut, HousingUpdate, StepCreate


class RecordMixin(HousingBase):
    async def get(self, person_id: uuid.UUID) -> HousingOut:
        await self.access.require(CATEGORY, "read", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._row(person_id)
        record(self.session, self.actor, "read", "housing_record", housing.id, person_id=person_id)
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    async def panel(self, person_id: uuid.UUID) -> HousingOut | None:
        """The person record page's housing panel: the record, or None; an audited read."""
        await self.access.require(CATEGORY, "read", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._find(person_id)
        if housing is None:
            return None
        record(self.session, self.actor, "read", "housing_record", housing.id, person_id=person_id)
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    async def create(self, person_id: uuid.UUID, data: HousingCreate) -> HousingOut:
        await self.access.require(CATEGORY, "write", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        if await self._find(person_id) is not None:
            raise Conflict(
                detail="This person already has a housing record; change it instead",
                extra=[{"key": "person_id", "message": "already has a housing record"}],
            )
        if data.local_authority_id is not None:
            await self._authority(data.local_authority_id)
        housing, step = new_record(
            self.actor.tenant_id,
            person.id,
            clock.today(),
            user_id=self.actor.user_id,
            organisation_id=self.actor.organisation_id,
            local_authority_id=data.local_authority_id,
            needs=data.needs.strip() if data.needs else None,
        )
        self.session.add(housing)
        await self.session.flush()
        self.session.add(step)
        record(
            self.session, self.actor, "create", "housing_record", housing.id, person_id=person.id
        )
        try:
            await self.session.flush()
        except IntegrityError:
            await self.session.rollback()
            raise Conflict(detail="This person already has a housing record") from None
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    async def update(self, person_id: uuid.UUID, data: HousingUpdate) -> HousingOut:
        await self.access.require(CATEGORY, "write", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._row(person_id, for_update=True)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if "needs" in changes and changes["needs"] is not None:
            changes["needs"] = changes["needs"].strip()
        new_authority = changes.get("local_authority_id", housing.local_authority_id)
        if new_authority != housing.local_authority_id:
            if housing.status not in (Status.NOT_STARTED, Status.NO_FIXED_ABODE):
                current = await self._authority(housing.local_authority_id)
                raise RuleViolation(
                    f"The application is already with {current.name if current else 'an authority'}"
                    f" ({housing.status}); the local authority can change only before an "
                    "application is submitted",
                    field="local_authority_id",
                )
            if new_authority is not None:
                await self._authority(new_authority)
        for name, value in changes.items():
            setattr(housing, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "housing_record",
            housing.id,
            person_id=person_id,
            detail={"fields": sorted(changes)},
        )
        await self.session.flush()
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    async def add_step(self, person_id: uuid.UUID, data: StepCreate) -> HousingOut:
        await self.access.require(CATEGORY, "write", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._row(person_id, for_update=True)
        today = clock.today()
        on_date = data.on_date or today
        current = Status(housing.status)
        target = data.status
        if target not in ALLOWED[current]:
            allowed = ", ".join(ALLOWED[current]) or "nothing"
            raise RuleViolation(
                f"A registration at {current.value!r} can move to {allowed}, not {target.value!r}",
                field="status",
            )
        if on_date > today:
            raise RuleViolation("A step cannot be dated in the future", field="on_date")
        if on_date < housing.status_on:
            raise RuleViolation(
                f"A step cannot be dated before the previous one ({housing.status_on})",
                field="on_date",
            )
        authority = await self._authority(housing.local_authority_id)
        liberation = person.liberation_date
        if target == Status.NO_FIXED_ABODE:
            if liberation is None:
                raise RuleViolation(
                    "No fixed abode is recorded at liberation, and this person has no "
                    "liberation date",
                    field="status",
                )
            if on_date < liberation:
                raise RuleViolation(
                    f"No fixed abode is recorded at liberation ({liberation}), not before",
                    field="on_date",
                )
        elif authority is None:
            raise RuleViolation(
                "Choose the local authority before moving the registration on",
                field="local_authority_id",
            )
        if (
            target == Status.APPLICATION_SUBMITTED
            and current == Status.NOT_STARTED
            and rule_of(authority) == RegistrationRule.ON_LIBERATION_DAY
        ):
            assert authority is not None
            if liberation is None:
                raise RuleViolation(
                    f"{authority.name} registers people for housing only on their liberation "
                    "day, and this person has no liberation date yet",
                    field="on_date",
                )
            if on_date < liberation:
                raise RuleViolation(
                    f"{authority.name} registers people for housing only on their liberation "
                    f"day ({liberation}): the application cannot be submitted before then",
                    field="on_date",
                )
        step = HousingStep(
            tenant_id=self.actor.tenant_id,
            record_id=housing.id,
            from_status=current,
            to_status=target,
            on_date=on_date,
            acted_by=self.actor.user_id,
            organisation_id=self.actor.organisation_id,
            note=data.note.strip() if data.note else None,
        )
        self.session.add(step)
        housing.status = target
        housing.status_on = on_date
        record(
            self.session,
            self.actor,
            "update",
            "housing_record",
            housing.id,
            person_id=person_id,
            detail={"from": current.value, "to": target.value, "on_date": on_date.isoformat()},
        )
        await self.session.flush()
        out = await self._out(housing, person)
        await self.session.commit()
        return out
