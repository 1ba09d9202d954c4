"""Harm reduction's rules, from the prison substance-use service specification and the
Leicester account of release:

- "Referrals will be automatic following a confirmed positive drug test. An appointment
  will be offered, and a record made, if declined." A positive result makes a core
  referral (source ``positive_drug_test``) with an offered appointment, through core's
  own referral service; a declined offer is recorded as that referral's decision.
- Naloxone training, and kit supply: the kit type, first or repeat, and why a repeat.
- "The first two weeks are essential": the overdose-risk flag for the first fourteen days
  after the liberation date.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from core.audit.services import record
from core.authz.access import Access
from core.clock import UK_TIME
from core.clock import today as local_today
from core.db.base import UTCDateTime, utcnow
from core.errors import RuleViolation, not_found
from core.events import publish
from core.pagination import Page, keyset, page_of
from core.persons.models import Person
from core.plugins import require_plugin
from core.referrals.models import Referral, ReferralDecision, ReferralSource
from core.referrals.schemas import ReferralCreate, ReferralDecide
from core.referrals.services import ReferralService
from core.working_days import add_working_days
from plugins.harm_reduction.models import (
    DrugTest,
    DrugTestResult,
    NaloxoneSupply,
    NaloxoneTraining,
    Supply,
)
from plugins.harm_reduction.schemas import (
    AtRisk,
    DrugTestCreate,
    DrugTestOut,
    HarmReductionSummary,
    OfferDeclined,
    SupplyCreate,
    SupplyOut,
    TrainingCreate,
    TrainingOut,
)

PLUGIN = "harm_reduction"
SUBSTANCE_USE = "substance_use"
HEALTH = "health"
CLOCK_SKEW = timedelta(minutes=5)
# "The first two weeks are essential. That is the time when they are most likely to have
# an overdose." (Leicester): the release day and the thirteen days after it.
OVERDOSE_RISK_DAYS = 14
# The appointment offered with an automatic referral, unless the tester names one.
DEFAULT_APPOINTMENT_TIME = time(10, 0)


def utc_cursor_time(value: str) -> BindParameter[datetime]:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time in cursor")
    return literal(parsed.astimezone(UTC), UTCDateTime())


def clean(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


def risk_window(liberation_date: date) -> date:
    """The last day of the overdose-risk window that starts on the liberation date."""
    return liberation_date + timedelta(days=OVERDOSE_RISK_DAYS - 1)


def at_overdose_risk(liberation_date: date | None, today: date) -> bool:
    return liberation_date is not None and liberation_date <= today <= risk_window(liberation_date)


def default_appointment(now: datetime, nation: str) -> datetime:
    """10:00 UK time on the next working day of the partnership's nation."""
    day = add_working_days(now.astimezone(UK_TIME).date(), 1, nation)
    return datetime.combine(day, DEFAULT_APPOINTMENT_TIME, tzinfo=UK_TIME).astimezone(UTC)


def drug_test_out(row: DrugTest, referral: Referral | None = None) -> DrugTestOut:
    return DrugTestOut(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        tested_at=row.tested_at,
        result=row.result,
        substances=list(row.substances or []),
        referral_id=row.referral_id,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
        offered_appointment_at=referral.offered_appointment_at if referral else None,
        referral_decision=referral.decision if referral else None,
    )


def training_out(row: NaloxoneTraining) -> TrainingOut:
    return TrainingOut(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        trained_at=row.trained_at,
        trainee=row.trainee,
        notes=row.notes,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def supply_out(row: NaloxoneSupply) -> SupplyOut:
    return SupplyOut(
        id=row.id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        supplied_at=row.supplied_at,
        kit_type=row.kit_type,
        supply=row.supply,
        repeat_reason=row.repeat_reason,
        notes=row.notes,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def check_past(moment: datetime, person: Person, field: str, what: str) -> datetime:
    moment = moment.astimezone(UTC)
    if moment > utcnow() + CLOCK_SKEW:
        raise RuleViolation(f"{what} cannot be recorded in the future", field=field)
    if moment.date() < person.date_of_birth:
        raise RuleViolation(f"{what} is dated before the person's date of birth", field=field)
    return moment


class HarmReductionService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        require_plugin(access.actor, PLUGIN)
        self.session = session
        self.access = access
        self.actor = access.actor

    async def _person(self, person_id: uuid.UUID, category: str, action: str) -> Person:
        """The person (404 if they are not to be known of), then the protocol's say on
        ``category`` for them (403 naming the reason)."""
        person = await self.access.visible_person(person_id)
        await self.access.require(category, action, person.id)
        return person

    # ------------------------------------------------------------ drug tests

    async def record_drug_test(self, data: DrugTestCreate) -> DrugTestOut:
        person = await self._person(data.person_id, SUBSTANCE_USE, "write")
        tested_at = check_past(data.tested_at, person, "tested_at", "A drug test")
        positive = data.result == DrugTestResult.POSITIVE
        if data.substances and not positive:
            raise RuleViolation(
                f"Substances are recorded only for a positive result, not a {data.result} one",
                field="substances",
            )
        if data.appointment_at is not None and not positive:
            raise RuleViolation(
                "An appointment is offered only with the referral a positive result makes",
                field="appointment_at",
            )
        now = utcnow()
        appointment = None
        if positive:
            appointment = data.appointment_at or default_appointment(now, self.actor.nation)
            if appointment <= now:
                raise RuleViolation(
                    "The appointment offered must be in the future", field="appointment_at"
                )
        row = DrugTest(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            organisation_id=self.actor.organisation_id,
            tested_at=tested_at,
            result=data.result,
            substances=sorted({" ".join(s.split()).lower() for s in data.substances}),
            recorded_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "drug_test",
            row.id,
            person_id=person.id,
            detail={"result": row.result},
        )
        await publish(
            self.session,
            self.actor,
            "drug_test_recorded",
            person_id=person.id,
            data={"result": row.result, "drug_test_id": str(row.id)},
        )
        if not positive:
            await self.session.commit()
            return drug_test_out(row)
        # Core's referral service decides the episode and the assessment's due date; it
        # commits the test, its audit and the referral together.
        referral = await ReferralService(self.session, self.access).create(
            ReferralCreate(
                person_id=person.id,
                source=ReferralSource.POSITIVE_DRUG_TEST,
                reason=f"Automatic: positive drug test on {tested_at.date().isoformat()}"
                + (f" ({', '.join(row.substances)})" if row.substances else ""),
                referring_organisation_id=self.actor.organisation_id,
                offered_appointment_at=appointment,
            ),
            by_rule="rule: a positive drug test refers the person",
        )
        # Core's service commits on its own, so the link to it is a second, small write.
        row.referral_id = referral.id
        await self.session.commit()
        return drug_test_out(row, referral)

    async def decline_offer(self, drug_test_id: uuid.UUID, data: OfferDeclined) -> DrugTestOut:
        row = await self._drug_test(drug_test_id)
        await self._person(row.person_id, SUBSTANCE_USE, "write")
        if row.referral_id is None:
            raise RuleViolation(
                f"A {row.result} result made no referral, so there is no offer to decline",
                field="drug_test_id",
            )
        record(
            self.session,
            self.actor,
            "update",
            "drug_test",
            row.id,
            person_id=row.person_id,
            detail={"offer": "declined", "referral_id": str(row.referral_id)},
        )
        # Core's referral keeps the declined offer, with who and when (and may close the
        # episode); a second decision is refused there with 409.
        referral = await ReferralService(self.session, self.access).decide(
            row.referral_id,
            ReferralDecide(decision=ReferralDecision.DECLINED, notes=data.notes),
        )
        return drug_test_out(row, referral)

    async def get_drug_test(self, drug_test_id: uuid.UUID) -> DrugTestOut:
        row = await self._drug_test(drug_test_id)
        await self._person(row.person_id, SUBSTANCE_USE, "read")
        referral = (
            await self.session.get(Referral, (self.actor.tenant_id, row.referral_id))
            if row.referral_id
            else None
        )
        record(self.session, self.actor, "read", "drug_test", row.id, person_id=row.person_id)
        await self.session.commit()
        return drug_test_out(row, referral)

    async def list_drug_tests(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[DrugTestOut]:
        person = await self._person(person_id, SUBSTANCE_USE, "read")
        stmt = (
            select(DrugTest, Referral)
            .outerjoin(
                Referral,
                (Referral.tenant_id == DrugTest.tenant_id) & (Referral.id == DrugTest.referral_id),
            )
            .where(DrugTest.tenant_id == self.actor.tenant_id, DrugTest.person_id == person.id)
        )
        stmt = keyset(
            stmt,
            [DrugTest.tested_at, DrugTest.id],
            cursor,
            limit,
            descending=True,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(
            rows, limit, lambda r: [r[0].tested_at.isoformat(), str(r[0].id)]
        )
        record(
            self.session,
            self.actor,
            "list",
            "drug_test",
            person_id=person.id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[drug_test_out(t, r) for t, r in rows], next_cursor=next_cursor)

    async def _drug_test(self, drug_test_id: uuid.UUID) -> DrugTest:
        row = await self.session.get(DrugTest, (self.actor.tenant_id, drug_test_id))
        if row is None:
            raise not_found("Drug test")
        return row

    # ------------------------------------------------------------ naloxone

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
        stmt = keyset(
            select(NaloxoneSupply).where(
                NaloxoneSupply.tenant_id == self.actor.tenant_id,
                NaloxoneSupply.person_id == person.id,
            ),
            [NaloxoneSupply.supplied_at, NaloxoneSupply.id],
            cursor,
            limit,
            descending=True,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.supplied_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "naloxone_supply",
            person_id=person.id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[supply_out(r) for r in rows], next_cursor=next_cursor)

    async def list_trainings(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[TrainingOut]:
        person = await self._person(person_id, HEALTH, "read")
        stmt = keyset(
            select(NaloxoneTraining).where(
                NaloxoneTraining.tenant_id == self.actor.tenant_id,
                NaloxoneTraining.person_id == person.id,
            ),
            [NaloxoneTraining.trained_at, NaloxoneTraining.id],
            cursor,
            limit,
            descending=True,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.trained_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "naloxone_training",
            person_id=person.id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[training_out(r) for r in rows], next_cursor=next_cursor)

    # ------------------------------------------------------------ overdose risk

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
        stmt = keyset(
            stmt,
            [Person.liberation_date, Person.id],
            cursor,
            limit,
            descending=True,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(
            rows, limit, lambda r: [r[0].liberation_date.isoformat(), str(r[0].id)]
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


async def person_panel(session: AsyncSession, access: Any, person_id: uuid.UUID) -> dict[str, Any]:
    """The person record's harm-reduction panel: the summary, within what may be read;
    an audited read."""
    person = await session.get(Person, (access.actor.tenant_id, person_id))
    if person is None:
        raise not_found("Person")
    readable = await access.readable_categories(person_id)
    summary = await harm_reduction_summary(session, person, readable, local_today())
    record(
        session,
        access.actor,
        "read",
        "harm_reduction_summary",
        person_id=person_id,
        detail={"restricted": summary.restricted},
    )
    await session.commit()
    return {"summary": summary}
