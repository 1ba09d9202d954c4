"""Harm reduction's demo rows: drug tests (each positive one tied to the demo's own
automatic referral), naloxone training and kits around release."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.clock import now as clock_now
from core.clock import today as local_today
from core.hooktypes import DemoContext
from core.persons.models import Person
from core.referrals.models import Referral, ReferralSource
from plugins.harm_reduction.models import (
    DrugTest,
    DrugTestResult,
    KitType,
    NaloxoneSupply,
    NaloxoneTraining,
    RepeatReason,
    Supply,
    Trainee,
)

SUBSTANCES = ("opiates", "buprenorphine", "benzodiazepines", "cannabis", "synthetic cannabinoids")
# The healthcare partner tests and supplies; the lead partner when there is none.
HEALTH_ORGANISATIONS = ("nhs-ggc", "nhs-tayside", "leicester-healthcare")
HEALTH_USERS = ("lowmoss.nurse", "perth.nurse", "leicester.nurse")
SHARE_TESTED = 0.15


async def load_demo(ctx: DemoContext) -> None:
    rng = ctx.random
    org_id = next(
        (ctx.organisations[s] for s in HEALTH_ORGANISATIONS if s in ctx.organisations),
        next(iter(ctx.organisations.values())),
    )
    user_id = next((ctx.users[u] for u in HEALTH_USERS if u in ctx.users), None)
    today = local_today()
    now = clock_now()
    # Every positive test in the demo has the automatic referral the demo already made.
    referrals = (
        await ctx.session.scalars(
            select(Referral).where(
                Referral.tenant_id == ctx.tenant_id,
                Referral.source == ReferralSource.POSITIVE_DRUG_TEST,
            )
        )
    ).all()
    for referral in sorted(referrals, key=lambda r: str(r.id)):
        ctx.session.add(
            DrugTest(
                tenant_id=ctx.tenant_id,
                person_id=referral.person_id,
                organisation_id=org_id,
                tested_at=referral.received_at - timedelta(hours=rng.randint(2, 30)),
                result=DrugTestResult.POSITIVE,
                substances=sorted(rng.sample(SUBSTANCES, rng.randint(1, 2))),
                referral_id=referral.id,
                recorded_by=user_id,
            )
        )
    people = (
        await ctx.session.scalars(
            select(Person).where(Person.tenant_id == ctx.tenant_id, Person.id.in_(ctx.persons))
        )
    ).all()
    for person in sorted(people, key=lambda p: str(p.id)):
        if rng.random() < SHARE_TESTED:
            for _ in range(rng.randint(1, 3)):
                ctx.session.add(
                    DrugTest(
                        tenant_id=ctx.tenant_id,
                        person_id=person.id,
                        organisation_id=org_id,
                        tested_at=now
                        - timedelta(days=rng.randint(1, 180), hours=rng.randint(0, 9)),
                        result=rng.choice([DrugTestResult.NEGATIVE] * 5 + [DrugTestResult.REFUSED]),
                        recorded_by=user_id,
                    )
                )
        near_release = person.liberation_date is not None and (
            abs((person.liberation_date - today).days) <= 30
        )
        if not near_release or rng.random() >= 0.6:
            continue
        trained_at = now - timedelta(days=rng.randint(3, 60))
        ctx.session.add(
            NaloxoneTraining(
                tenant_id=ctx.tenant_id,
                person_id=person.id,
                organisation_id=org_id,
                trained_at=trained_at,
                trainee=Trainee.PERSON,
                recorded_by=user_id,
            )
        )
        ctx.session.add(
            NaloxoneSupply(
                tenant_id=ctx.tenant_id,
                person_id=person.id,
                organisation_id=org_id,
                supplied_at=trained_at,
                kit_type=KitType.NASAL if rng.random() < 0.8 else KitType.INTRAMUSCULAR,
                supply=Supply.FIRST,
                recorded_by=user_id,
            )
        )
        if rng.random() < 0.15:
            ctx.session.add(
                NaloxoneSupply(
                    tenant_id=ctx.tenant_id,
                    person_id=person.id,
                    organisation_id=org_id,
                    supplied_at=trained_at + (now - trained_at) / 2,
                    kit_type=KitType.NASAL,
                    supply=Supply.REPEAT,
                    repeat_reason=rng.choice(list(RepeatReason)),
                    recorded_by=user_id,
                )
            )
    await ctx.session.flush()
