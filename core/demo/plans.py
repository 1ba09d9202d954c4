"""Recovery plans for full support packages: goals, contingencies, partners' actions,
reviews, and the handover (with the consent it needs) when the person is released.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.consents.models import Consent, LawfulBasis
from core.demo.base import (
    EpisodeDraft,
    GeneratorBase,
    OrgRef,
    PersonDraft,
)
from core.episodes.models import Phase
from core.plans.models import PlanAction, PlanReview, PlanStatus, RecoveryPlan
from core.referrals.models import ReferralDecision
from core.tenancy.models import OrganisationKind

GOALS: tuple[str, ...] = (
    "Stabilise on opiate replacement therapy.",
    "Reduce alcohol use to within safer limits.",
    "Have a tenancy or temporary accommodation in place for liberation day.",
    "Rebuild contact with family.",
    "Attend a mutual aid meeting every week.",
    "Start an employability or training course.",
    "Register with a community GP before liberation.",
    "Apply for benefits and open a bank account before liberation.",
    "Stay free of street drugs after liberation.",
    "Take part in the recovery café after liberation.",
)

CONTINGENCIES: dict[str, tuple[str, ...]] = {
    "safety": (
        "If in crisis, tell hall staff or call the key worker; safer custody informed.",
        "Out of hours: NHS 24 or the community crisis line; key worker follows up next day.",
    ),
    "overdose_prevention": (
        "Naloxone kit supplied and trained; tolerance falls in prison: use less, never alone.",
        "First two weeks after liberation are the riskiest: naloxone carried, daily contact.",
    ),
    "harm_reduction": (
        "Injecting equipment provision and blood-borne virus testing offered.",
        "Harm reduction pack given; advice on mixing alcohol and benzodiazepines.",
    ),
    "re_engagement": (
        "If an appointment is missed, outreach visit within two working days.",
        "If the person disengages, the daily meeting reviews and a peer mentor makes contact.",
    ),
}

PLAN_ACTIONS: dict[str, tuple[str, ...]] = {
    OrganisationKind.THIRD_SECTOR: (
        "Meet at the gate on liberation day.",
        "Introduce to a mutual aid group.",
        "Arrange a family contact session.",
        "Book an employability appointment.",
    ),
    OrganisationKind.NHS: (
        "Supply a naloxone kit and training before liberation.",
        "Book a community prescribing appointment for liberation day.",
        "Review medication.",
    ),
    OrganisationKind.LOCAL_AUTHORITY: (
        "Submit the housing application ahead of liberation.",
        "Confirm temporary accommodation for liberation day.",
    ),
    OrganisationKind.PRISON: (
        "Confirm liberation date and arrangements.",
        "Add to the pre-release meeting agenda.",
    ),
    OrganisationKind.PROBATION: ("Share the release plan with the probation officer.",),
}

PLAN_REVIEW_NOTES: tuple[str, ...] = (
    "Plan reviewed with the person; goals unchanged.",
    "Good progress; housing action carried forward.",
    "Missed two appointments; re-engagement contingency used.",
    "Goals updated with the person ahead of liberation.",
)

HANDOVER_PURPOSE = "Handover of the recovery plan to the community provider on release."


class PlansMixin(GeneratorBase):
    def plan(self, person: PersonDraft, episode: EpisodeDraft) -> None:
        if episode.decision != ReferralDecision.FULL_SUPPORT or episode.decided is None:
            return
        rng = self.rng
        through_gate = any(p == Phase.IN_CUSTODY_SUPPORT for p, _ in episode.phases) and any(
            p == Phase.COMMUNITY for p, _ in episode.phases
        )
        created = self.clamp(episode.decided + timedelta(hours=rng.randint(2, 72)), episode.decided)
        handed_at: datetime | None = None
        if through_gate:
            handed_at = next(m for p, m in episode.phases if p == Phase.COMMUNITY)
            # The plan exists before it is handed over.
            created = min(created, episode.decided + (handed_at - episode.decided) / 2)
        handover: OrgRef | None = None
        if episode.closed is not None:
            status = PlanStatus.CLOSED
        elif through_gate:
            status = PlanStatus.HANDED_OVER
        else:
            status = PlanStatus.ACTIVE
        if through_gate:
            community_partners = self.orgs_of(OrganisationKind.THIRD_SECTOR) or [self.lead_org]
            handover = rng.choice(community_partners)
            assert handed_at is not None
            # The handover needs the person's consent to share the plan with that partner.
            given = self.clamp(handed_at - timedelta(days=rng.randint(3, 20)), created)
            if given >= handed_at:
                given = created
            self.add(
                Consent,
                given,
                person_id=person.id,
                category="substance_use",
                recipient_organisation_id=handover.id,
                recipient_kind=None,
                purpose=HANDOVER_PURPOSE,
                lawful_basis=str(LawfulBasis.CONSENT),
                given_at=given,
                expires_at=None,
                withdrawn_at=None,
                recorded_by=episode.key_worker.id if episode.key_worker else None,
                withdrawn_by=None,
            )
        end = episode.closed or self.clamp(self.now)
        plan_id = self.add(
            RecoveryPlan,
            created,
            person_id=person.id,
            episode_id=episode.id,
            status=str(status),
            goals=rng.sample(GOALS, rng.randint(2, 4)),
            contingency={key: rng.choice(texts) for key, texts in CONTINGENCIES.items()},
            handover_organisation_id=handover.id if handover else None,
            handed_over_at=handed_at,
            created_by=episode.key_worker.id if episode.key_worker else None,
            updated_at=created,
        )
        owners = [o for o in self.orgs if o.kind in PLAN_ACTIONS]
        for owner in rng.sample(owners, min(len(owners), rng.randint(1, 3))):
            due = created.date() + timedelta(days=rng.randint(7, 70))
            completed: datetime | None = None
            finished = 0.9 if episode.closed is not None else 0.65
            if due < self.today and rng.random() < finished:
                completed = self.clamp(self.at(due - timedelta(days=rng.randint(0, 5))), created)
            self.add(
                PlanAction,
                created,
                plan_id=plan_id,
                description=rng.choice(PLAN_ACTIONS[owner.kind]),
                owner_organisation_id=owner.id,
                due_on=due,
                completed_at=completed,
            )
        reviewed = created + timedelta(days=rng.randint(25, 35))
        while reviewed < end:
            self.add(
                PlanReview,
                reviewed,
                plan_id=plan_id,
                reviewed_at=reviewed,
                reviewed_by=episode.key_worker.id if episode.key_worker else None,
                notes=rng.choice(PLAN_REVIEW_NOTES),
            )
            reviewed += timedelta(days=rng.randint(25, 35))
