"""The support given: partners' interventions in custody and the community, and the
monthly outcome reviews, where social functioning improves most.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from core.demo.base import (
    EpisodeDraft,
    GeneratorBase,
    OrgRef,
    PersonDraft,
)
from core.interventions.models import Intervention, Setting
from core.outcomes.models import DOMAINS, SCORE_MAX, SCORE_MIN, OutcomeReview
from core.tenancy.models import OrganisationKind
from core.vocabulary import CORE_INTERVENTION_KINDS

# Core intervention kinds each kind of partner logs, by setting.
KINDS_BY_PARTNER: dict[tuple[str, str], tuple[str, ...]] = {
    (OrganisationKind.THIRD_SECTOR, Setting.PRISON): (
        "one_to_one",
        "one_to_one",
        "group_work",
        "motivational_interview",
        "recovery_plan_support",
        "pre_liberation_support",
        "liaison_other_agency",
        "mutual_aid_link",
    ),
    (OrganisationKind.THIRD_SECTOR, Setting.COMMUNITY): (
        "one_to_one",
        "outreach",
        "outreach",
        "mutual_aid_link",
        "liaison_other_agency",
        "recovery_plan_support",
        "employability_support",
    ),
    (OrganisationKind.NHS, Setting.PRISON): (
        "detox_support",
        "prescribing_review",
        "psychosocial",
        "structured_advice",
    ),
    (OrganisationKind.NHS, Setting.COMMUNITY): (
        "prescribing_review",
        "psychosocial",
        "structured_advice",
    ),
    (OrganisationKind.PRISON, Setting.PRISON): (
        "liaison_other_agency",
        "pre_liberation_support",
        "one_to_one",
    ),
}
INTERVENING_KINDS = (OrganisationKind.THIRD_SECTOR, OrganisationKind.NHS, OrganisationKind.PRISON)

INTERVENTION_NOTES: dict[str, str] = {
    "one_to_one": "One-to-one session with the key worker.",
    "group_work": "Attended the recovery group.",
    "motivational_interview": "Motivational interview: talked through reasons for change.",
    "structured_advice": "Structured advice on reducing use and overdose risk.",
    "detox_support": "Supported withdrawal reviewed.",
    "prescribing_review": "Prescription reviewed; dose stable.",
    "psychosocial": "Psychosocial intervention session.",
    "mutual_aid_link": "Introduced to a mutual aid meeting.",
    "liaison_other_agency": "Liaised with another agency on the person's behalf.",
    "outreach": "Outreach visit at home.",
    "employability_support": "Employability session: CV and college options.",
    "pre_liberation_support": "Pre-liberation planning: housing, benefits, GP, appointments.",
    "recovery_plan_support": "Worked on the recovery plan with the person.",
}

OUTCOME_NOTES: tuple[str, ...] = (
    "Reviewed with the key worker.",
    "Distance travelled discussed with the person.",
    "Scores agreed jointly.",
)
# Average change per monthly review when things go well: social functioning most (Low Moss).
DOMAIN_GAIN: dict[str, float] = {
    "criminal_activity": 0.45,
    "engagement": 0.6,
    "living_situation": 0.4,
    "physical_health": 0.35,
    "psychological_wellbeing": 0.45,
    "social_functioning": 0.9,
    "substance_misuse": 0.5,
}


class SupportMixin(GeneratorBase):
    def support_window(self, episode: EpisodeDraft) -> tuple[datetime, datetime] | None:
        if not episode.supported or episode.decided is None:
            return None
        end = episode.closed or self.clamp(self.now)
        return (episode.decided, end) if end > episode.decided else None

    def moment_in(self, window: tuple[datetime, datetime]) -> datetime:
        start, end = window
        days = max(0, (end.date() - start.date()).days)
        moment = self.at(start.date() + timedelta(days=self.rng.randint(0, days)), 8, 19)
        return min(max(moment, start + timedelta(minutes=5)), end - timedelta(minutes=1))

    def setting_on(self, person: PersonDraft, day: date) -> str:
        return Setting.PRISON if person.in_custody_on(day) else Setting.COMMUNITY

    def intervention(
        self,
        person: PersonDraft,
        episode: EpisodeDraft,
        org: OrgRef,
        moment: datetime,
        setting: str,
    ) -> None:
        rng = self.rng
        kinds = KINDS_BY_PARTNER[(org.kind, setting)]
        if "wise" in org.slug or "employ" in org.slug:
            kinds = (*kinds, "employability_support", "employability_support")
        kind = rng.choice(kinds)
        self.intervened.add(org.id)
        self.add(
            Intervention,
            moment,
            person_id=person.id,
            episode_id=episode.id,
            organisation_id=org.id,
            kind=kind,
            category=CORE_INTERVENTION_KINDS[kind],
            setting=str(setting),
            occurred_at=moment,
            duration_minutes=rng.randrange(15, 95, 5),
            notes=INTERVENTION_NOTES[kind],
            recorded_by=self.user_id_of(org),
        )

    def interventions(self, person: PersonDraft, episode: EpisodeDraft) -> None:
        window = self.support_window(episode)
        if window is None:
            return
        rng = self.rng
        months = (window[1] - window[0]).days // 30
        if episode.closed is None:
            count = rng.randint(3, 5) + min(6, months)
        else:
            count = rng.randint(1, 3) + min(3, months // 2)
        for _ in range(count):
            moment = self.moment_in(window)
            setting = self.setting_on(person, moment.date())
            partners = [
                o for o in self.orgs_of(*INTERVENING_KINDS) if (o.kind, setting) in KINDS_BY_PARTNER
            ]
            if not partners:
                continue
            if episode.lead in partners and rng.random() < 0.4:
                org = episode.lead
            else:
                org = rng.choice(partners)
            assert org is not None
            self.intervention(person, episode, org, moment, setting)

    def outcome_reviews(self, person: PersonDraft, episode: EpisodeDraft) -> None:
        window = self.support_window(episode)
        if window is None or (window[1] - window[0]).days < 30:
            return
        rng = self.rng
        org = episode.lead or self.lead_org
        draw = rng.random()
        trend = 1.0 if draw < 0.8 else 0.0 if draw < 0.95 else -0.6
        scores = {d: float(rng.randint(2, 5)) for d in DOMAINS}
        scores["social_functioning"] = float(rng.randint(1, 4))
        day = window[0].date() + timedelta(days=rng.randint(3, 10))
        while day < window[1].date():
            moment = datetime.combine(day, time(12, 0), UTC)
            self.add(
                OutcomeReview,
                moment,
                person_id=person.id,
                episode_id=episode.id,
                organisation_id=org.id,
                reviewed_on=day,
                setting=str(self.setting_on(person, day)),
                reviewed_by=episode.key_worker.id if episode.key_worker else None,
                notes=rng.choice(OUTCOME_NOTES),
                **{d: min(SCORE_MAX, max(SCORE_MIN, round(s))) for d, s in scores.items()},
            )
            for domain in DOMAINS:
                scores[domain] += DOMAIN_GAIN[domain] * trend + rng.gauss(0, 0.5)
                scores[domain] = min(float(SCORE_MAX), max(float(SCORE_MIN), scores[domain]))
            day += timedelta(days=rng.randint(26, 34))

    def ensure_every_partner_intervened(self) -> None:
        """Every prison, NHS and third-sector partner has logged work (reports need them)."""
        for org in self.orgs_of(*INTERVENING_KINDS):
            if org.id in self.intervened:
                continue
            for person in self.persons:
                episode = person.episodes[-1]
                window = self.support_window(episode)
                if window is None or episode.closed is not None:
                    continue
                moment = self.moment_in(window)
                setting = self.setting_on(person, moment.date())
                if (org.kind, setting) in KINDS_BY_PARTNER:
                    self.intervention(person, episode, org, moment, setting)
                    break
