""" "The first two weeks are essential": who is in the overdose-risk window after
liberation, with or without naloxone, and the partnership's summary.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.clock import today as local_today
from core.pagination import Page, fetch_page
from core.persons.models import Person
from plugins.harm_reduction.common import (
    HEALTH,
    OVERDOSE_RISK_DAYS,
    SUBSTANCE_USE,
    HarmReductionBase,
    at_overdose_risk,
    risk_window,
)
from plugins.harm_reduction.models import DrugTest, DrugTestResult, NaloxoneSupply, NaloxoneTraining
from plugins.harm_reduction.schemas import AtRisk, HarmReductionSummary


async def harm_reduction_summary(
    session: AsyncSession, person: Person, readable: set[str], today: date
) -> HarmReductionSummary:
    """The summary's facts, each category's only if ``readable`` holds it."""
    tenant_id, person_id = person.tenant_id, person.id
    health = HEALTH in readable
    substance = SUBSTANCE_USE in readable
    kits = last_kit = trained = None
    if health:
        kits, last_kit = (
            await session.execute(
                select(func.count(), func.max(NaloxoneSupply.supplied_at)).where(
                    NaloxoneSupply.tenant_id == tenant_id, NaloxoneSupply.person_id == person_id
                )
            )
        ).one()
        trained = (
            await session.scalar(
                select(NaloxoneTraining.id)
                .where(
                    NaloxoneTraining.tenant_id == tenant_id,
                    NaloxoneTraining.person_id == person_id,
                )
                .limit(1)
            )
        ) is not None
    last = positives = None
    if substance:
        last = await session.scalar(
            select(DrugTest)
            .where(DrugTest.tenant_id == tenant_id, DrugTest.person_id == person_id)
            .order_by(DrugTest.tested_at.desc(), DrugTest.id.desc())
            .limit(1)
        )
        positives = await session.scalar(
            select(func.count()).where(
                DrugTest.tenant_id == tenant_id,
                DrugTest.person_id == person_id,
                DrugTest.result == DrugTestResult.POSITIVE,
            )
        )
    risk = at_overdose_risk(person.liberation_date, today)
    return HarmReductionSummary(
        person_id=person_id,
        overdose_risk=risk if health else None,
        risk_until=(
            risk_window(person.liberation_date)
            if health and risk and person.liberation_date
            else None
        ),
        naloxone_kits=kits,
        last_naloxone_supply=last_kit,
        trained=trained,
        last_test_at=last.tested_at if last else None,
        last_test_result=last.result if last else None,
        positive_tests=positives,
        restricted=sorted({HEALTH, SUBSTANCE_USE} - readable),
    )


class OverdoseRiskMixin(HarmReductionBase):
    async def overdose_risk(
        self,
        *,
        without_naloxone: bool,
        limit: int,
        cursor: str | None,
        today: date | None = None,
    ) -> Page[AtRisk]:
        """People released in the last fourteen days, most recently released first."""
        today = today or local_today()
        kit = exists().where(
            NaloxoneSupply.tenant_id == Person.tenant_id,
            NaloxoneSupply.person_id == Person.id,
        )
        stmt = select(Person, kit.label("has_naloxone")).where(
            Person.tenant_id == self.actor.tenant_id,
            Person.liberation_date <= today,
            Person.liberation_date > today - timedelta(days=OVERDOSE_RISK_DAYS),
            self.access.person_filter(HEALTH, "read", Person.id),
        )
        if without_naloxone:
            stmt = stmt.where(~kit)
        rows, next_cursor = await fetch_page(
            self.session,
            stmt,
            [Person.liberation_date, Person.id],
            cursor,
            limit,
            descending=True,
            entity=0,
        )
        record(
            self.session,
            self.actor,
            "list",
            "overdose_risk",
            detail={"without_naloxone": without_naloxone, "returned": len(rows)},
        )
        await self.session.commit()
        return Page(
            items=[
                AtRisk(
                    person_id=p.id,
                    given_name=p.given_name,
                    family_name=p.family_name,
                    prison_number=p.prison_number,
                    liberation_date=p.liberation_date,
                    risk_until=risk_window(p.liberation_date),
                    has_naloxone=bool(has_kit),
                )
                for p, has_kit in rows
                if p.liberation_date is not None
            ],
            next_cursor=next_cursor,
        )

    async def summary(
        self, person_id: uuid.UUID, today: date | None = None
    ) -> HarmReductionSummary:
        person = await self.access.visible_person(person_id)
        readable = await self.access.readable_categories(person.id)
        if not readable & {HEALTH, SUBSTANCE_USE}:
            await self.access.require(HEALTH, "read", person.id)  # refuses, naming why
        summary = await harm_reduction_summary(
            self.session, person, readable, today or local_today()
        )
        record(
            self.session,
            self.actor,
            "read",
            "harm_reduction_summary",
            person_id=person.id,
            detail={"restricted": summary.restricted},
        )
        await self.session.commit()
        return summary
