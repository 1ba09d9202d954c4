"""Structured treatment for the demo: what the national returns and the treatment standards
are counted from.

For each full-support episode: a treatment modality history (a prescription that moves
from maintenance to reducing to detox for some, psychosocial work for others), the goal as
a dated history with the reason for each change, and, for people released, the onward
referral to community treatment with its first appointment (attended, for most, within the
three weeks that England's continuity-of-care measure counts). Every person gets the
return details a return needs, with "not stated" where a person would not say.

It runs after every other domain and draws from its own random streams, so adding it
changed no person, id or figure the other generators make.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from core.demo.base import EpisodeDraft, GeneratorBase, PersonDraft
from core.onward_referrals.models import OnwardReferral, OnwardService, OnwardStatus
from core.referrals.models import ReferralDecision
from core.returns.models import Ethnicity, LegalStatus, ReturnDetails, Sex, Substance
from core.treatment.models import ExitReason, Goal, Modality, TreatmentGoal, TreatmentModality

# Drawn with their weights: most of a prison caseload is male and opioid-using.
SEX = {Sex.MALE: 0.86, Sex.FEMALE: 0.12, Sex.NOT_STATED: 0.02}
ETHNICITY = {
    Ethnicity.WHITE_BRITISH: 0.78,
    Ethnicity.WHITE_OTHER: 0.05,
    Ethnicity.WHITE_GYPSY_TRAVELLER: 0.03,
    Ethnicity.MIXED_WHITE_BLACK_CARIBBEAN: 0.03,
    Ethnicity.ASIAN_PAKISTANI: 0.03,
    Ethnicity.BLACK_CARIBBEAN: 0.02,
    Ethnicity.ASIAN_INDIAN: 0.02,
    Ethnicity.NOT_STATED: 0.04,
}
SUBSTANCES = {
    Substance.HEROIN: 0.45,
    Substance.ALCOHOL: 0.2,
    Substance.CRACK: 0.12,
    Substance.BENZODIAZEPINES: 0.1,
    Substance.CANNABIS: 0.08,
    Substance.SYNTHETIC_CANNABINOIDS: 0.05,
}
LOCAL_AUTHORITIES = {
    "scotland": ("Glasgow City", "East Dunbartonshire", "North Lanarkshire", "Perth and Kinross"),
    "england": ("Leicester", "Leicestershire", "Rutland", "Stockton-on-Tees"),
}
GOAL_REASONS = (
    "Agreed at the plan review: stable on the prescription, ready to reduce.",
    "Asked to come off the script before release.",
    "Relapse on the wing: back to stabilisation first.",
    "Wants abstinence; mutual aid in the community arranged.",
)
COMMUNITY_TEAMS = {
    "scotland": "Community alcohol and drug recovery team",
    "england": "Community drug and alcohol service",
}


class TreatmentMixin(GeneratorBase):
    def treatment_for_everyone(self) -> None:
        rng = random.Random(f"{self.spec.slug}:{self.spec.demo.seed}:treatment")  # noqa: S311
        ids = random.Random(f"{self.spec.slug}:{self.spec.demo.seed}:treatment-ids")  # noqa: S311
        for person in self.persons:
            self._return_details(person, rng, ids)
            for episode in person.episodes:
                if episode.decision == ReferralDecision.FULL_SUPPORT and episode.decided:
                    self._treatment(person, episode, rng, ids)

    def _row(self, model: Any, ids: random.Random, created: date, **values: Any) -> None:
        self.rows.setdefault(model, []).append(
            {
                "tenant_id": self.tenant_id,
                "id": uuid.UUID(int=ids.getrandbits(128), version=4),
                "created_at": self.clamp(self.at(created)),
                **values,
            }
        )

    def _return_details(self, person: PersonDraft, rng: random.Random, ids: random.Random) -> None:
        first = person.episodes[0].received
        assert first is not None
        substances = rng.sample(list(SUBSTANCES), k=rng.choice((1, 2, 2, 3)))
        english = self.nation == "england"
        release = person.liberation
        self._row(
            ReturnDetails,
            ids,
            first.date(),
            person_id=person.id,
            sex=str(rng.choices(list(SEX), list(SEX.values()))[0]),
            ethnicity=str(rng.choices(list(ETHNICITY), list(ETHNICITY.values()))[0]),
            local_authority=rng.choice(LOCAL_AUTHORITIES.get(self.nation, ("Not known",))),
            legal_status=str(
                rng.choices(
                    [LegalStatus.CONVICTED, LegalStatus.REMAND, LegalStatus.RECALLED],
                    [0.7, 0.2, 0.1],
                )[0]
            ),
            conditional_release_date=release if english else None,
            hdc_eligibility_date=release - timedelta(days=rng.randint(60, 120))
            if english and release
            else None,
            parole_eligibility_date=None,
            problem_substance_1=str(substances[0]),
            problem_substance_2=str(substances[1]) if len(substances) > 1 else None,
            problem_substance_3=str(substances[2]) if len(substances) > 2 else None,
            injecting=rng.choice(("never", "never", "previously", "currently", "not_stated")),
            updated_at=self.clamp(first),
        )

    def _treatment(
        self, person: PersonDraft, episode: EpisodeDraft, rng: random.Random, ids: random.Random
    ) -> None:
        assert episode.decided is not None
        org = episode.lead or self.lead_org
        worker = episode.key_worker.id if episode.key_worker else None
        last_day = (episode.closed or self.now).date() - timedelta(days=1)
        day = episode.decided.date() + timedelta(days=rng.randint(0, 10))
        if day > last_day:
            return
        opioid = rng.random() < 0.6
        steps = (
            [Modality.MAINTENANCE, Modality.REDUCING, Modality.DETOX][: rng.randint(1, 3)]
            if opioid
            else [Modality.PSYCHOSOCIAL, Modality.RECOVERY_SUPPORT][: rng.randint(1, 2)]
        )
        for index, modality in enumerate(steps):
            last = index == len(steps) - 1
            ends = day + timedelta(days=rng.randint(30, 120))
            ended = ends if ends <= last_day and (not last or episode.closed) else None
            reason: str | None = None
            if ended is not None:
                reason = (
                    ExitReason.CHANGED_MODALITY
                    if not last
                    else rng.choice(
                        [ExitReason.COMPLETED_DRUG_FREE, ExitReason.TRANSFERRED_NOT_IN_CUSTODY]
                    )
                )
            self._row(
                TreatmentModality,
                ids,
                day,
                person_id=person.id,
                episode_id=episode.id,
                organisation_id=org.id,
                modality=str(modality),
                started_on=day,
                started_by=worker,
                ended_on=ended,
                exit_reason=str(reason) if reason else None,
                ended_by=worker if ended else None,
                notes=None,
            )
            if ended is None:
                break
            day = ended
        goals = (
            [Goal.STABILISATION, Goal.REDUCTION, Goal.ABSTINENCE] if opioid else [Goal.ABSTINENCE]
        )
        goal_day = episode.decided.date() + timedelta(days=1)
        for index, goal in enumerate(goals[: rng.randint(1, len(goals))]):
            if goal_day > last_day:
                break
            self._row(
                TreatmentGoal,
                ids,
                goal_day,
                person_id=person.id,
                episode_id=episode.id,
                organisation_id=org.id,
                goal=str(goal),
                set_on=goal_day,
                set_by=worker,
                reason=rng.choice(GOAL_REASONS) if index else None,
            )
            goal_day += timedelta(days=rng.randint(28, 90))
        self._community_treatment(person, episode, org.id, worker, rng, ids)

    def _community_treatment(
        self,
        person: PersonDraft,
        episode: EpisodeDraft,
        org_id: uuid.UUID,
        worker: uuid.UUID | None,
        rng: random.Random,
        ids: random.Random,
    ) -> None:
        released = person.liberation
        if released is None or released >= self.today or person.in_custody_on(self.today):
            return
        sent = released - timedelta(days=rng.randint(3, 20))
        # Most are seen within the three weeks; some later; some never.
        appointment = released + timedelta(days=rng.choice((1, 3, 7, 10, 14, 20, 25, 35)))
        attended = appointment < self.today and rng.random() < 0.75
        status = OnwardStatus.ATTENDED if attended else OnwardStatus.ACCEPTED
        history = [{"status": "sent", "on": sent.isoformat(), "by": str(worker), "reason": None}]
        history.append(
            {"status": "accepted", "on": sent.isoformat(), "by": str(worker), "reason": None}
        )
        if attended:
            history.append(
                {
                    "status": "attended",
                    "on": appointment.isoformat(),
                    "by": str(worker),
                    "reason": None,
                }
            )
        self._row(
            OnwardReferral,
            ids,
            sent,
            person_id=person.id,
            episode_id=episode.id,
            organisation_id=org_id,
            service=str(OnwardService.COMMUNITY_TREATMENT),
            category="substance_use",
            route=None,
            receiving_service=COMMUNITY_TEAMS.get(self.nation, "Community treatment service"),
            reason="Continuity of care on release",
            sent_on=sent,
            status=str(status),
            status_on=appointment if attended else sent,
            appointment_on=appointment,
            created_by=worker,
            history=history,
        )
