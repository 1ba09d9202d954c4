"""Screening, comprehensive and risk assessments for an episode."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.assessments.models import Assessment, AssessmentKind, RiskLevel
from core.demo.base import (
    EpisodeDraft,
    GeneratorBase,
    OrgRef,
    PersonDraft,
)
from core.referrals.models import ReferralDecision
from core.tenancy.models import OrganisationKind

SUMMARIES: dict[str, tuple[str, ...]] = {
    AssessmentKind.SCREENING: (
        "Screened positive for problem drug use; needs structured treatment.",
        "Alcohol screen indicates harmful drinking.",
        "Polydrug use; opiate replacement therapy already in place.",
        "Occasional cannabis and cocaine use; wants advice.",
    ),
    AssessmentKind.COMPREHENSIVE: (
        "Heroin and street benzodiazepines; wants to stabilise and reduce.",
        "Alcohol dependence; wants supported withdrawal and community follow-up.",
        "Stable on prescription; main needs are housing and family contact.",
        "Cocaine and alcohol; motivated to change, interested in employability.",
    ),
    AssessmentKind.RISK: (
        "Overdose risk discussed; naloxone offered.",
        "History of self-harm; safer custody informed.",
        "Risk reviewed with the multidisciplinary team; plan agreed.",
    ),
}


class AssessmentsMixin(GeneratorBase):
    def assessments(
        self,
        person: PersonDraft,
        episode: EpisodeDraft,
        screened: datetime | None,
        comprehensive: datetime | None,
    ) -> None:
        rng = self.rng
        nhs = self.orgs_of(OrganisationKind.NHS)
        for kind, moment in (
            (AssessmentKind.SCREENING, screened),
            (AssessmentKind.COMPREHENSIVE, comprehensive),
        ):
            if moment is None:
                continue
            org = rng.choice(nhs) if nhs and rng.random() < 0.4 else episode.lead
            self.assessment(person, episode, kind, org, moment)
        share = 0.7 if episode.decision == ReferralDecision.FULL_SUPPORT else 0.25
        if episode.supported and rng.random() < share:
            base = comprehensive or episode.decided
            assert base is not None
            moment = self.clamp(base + timedelta(hours=rng.randint(1, 72)), base)
            org = rng.choice(nhs) if nhs else episode.lead
            self.assessment(person, episode, AssessmentKind.RISK, org, moment)

    def assessment(
        self,
        person: PersonDraft,
        episode: EpisodeDraft,
        kind: str,
        org: OrgRef | None,
        moment: datetime,
    ) -> None:
        rng = self.rng
        org = org or self.lead_org
        levels: dict[str, str | None] = {
            "risk_self_harm": None,
            "risk_harm_to_others": None,
            "risk_overdose": None,
        }
        if kind == AssessmentKind.RISK:
            ladder = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]
            levels = {
                "risk_self_harm": str(rng.choices(ladder, weights=[5, 3, 1])[0]),
                "risk_harm_to_others": str(rng.choices(ladder, weights=[6, 3, 1])[0]),
                # Tolerance falls in prison: overdose risk on release is the big one.
                "risk_overdose": str(rng.choices(ladder, weights=[2, 4, 3])[0]),
            }
        self.add(
            Assessment,
            moment,
            person_id=person.id,
            episode_id=episode.id,
            referral_id=episode.referral_id,
            organisation_id=org.id,
            kind=str(kind),
            category="risk" if kind == AssessmentKind.RISK else "substance_use",
            completed_at=moment,
            completed_by=self.user_id_of(org),
            summary=rng.choice(SUMMARIES[kind]),
            **levels,
        )
