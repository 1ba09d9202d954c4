"""Drug tests: a confirmed positive result makes a core referral with an offered
appointment; a declined offer is recorded as that referral's decision.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.audit.services import record
from core.db.base import utcnow
from core.errors import RuleViolation, not_found
from core.events import publish
from core.pagination import Page, fetch_page
from core.referrals.models import Referral, ReferralDecision, ReferralSource
from core.referrals.schemas import ReferralCreate, ReferralDecide
from core.referrals.services import ReferralService
from plugins.harm_reduction.common import (
    SUBSTANCE_USE,
    HarmReductionBase,
    check_past,
    default_appointment,
    drug_test_out,
)
from plugins.harm_reduction.models import DrugTest, DrugTestResult
from plugins.harm_reduction.schemas import DrugTestCreate, DrugTestOut, OfferDeclined


class DrugTestsMixin(HarmReductionBase):
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
        rows, next_cursor = await fetch_page(
            self.session,
            stmt,
            [DrugTest.tested_at, DrugTest.id],
            cursor,
            limit,
            descending=True,
            entity=0,
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
