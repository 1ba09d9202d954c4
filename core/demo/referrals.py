"""Each episode's timeline: the referral, screening and assessment dates, the decision,
the phases through custody, liberation and the community, and its closure.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from core.demo.base import (
    CLOSED,
    CUSTODY,
    EpisodeDraft,
    GeneratorBase,
    OrgRef,
    PersonDraft,
    UserRef,
)
from core.episodes.models import Episode, Phase, PhaseChange
from core.referrals.models import Referral, ReferralDecision, ReferralSource
from core.tenancy.models import OrganisationKind
from core.working_days import add_working_days

# An episode moves to pre-liberation six weeks before release.
PRE_LIBERATION_DAYS = 42

# Where the person is decides the channel they can be referred through.
SOURCES_IN_CUSTODY: dict[str, float] = {
    ReferralSource.SELF: 0.60,
    ReferralSource.STAFF_CONCERN: 0.12,
    ReferralSource.OFFENDER_MANAGEMENT: 0.07,
    ReferralSource.HEALTHCARE: 0.08,
    ReferralSource.POSITIVE_DRUG_TEST: 0.09,
    ReferralSource.PRE_RELEASE_MEETING: 0.04,
}
SOURCES_RE_REFERRAL: dict[str, float] = {
    ReferralSource.SELF: 0.47,
    ReferralSource.PRE_RELEASE_MEETING: 0.19,
    ReferralSource.POSITIVE_DRUG_TEST: 0.14,
    ReferralSource.STAFF_CONCERN: 0.12,
    ReferralSource.HEALTHCARE: 0.08,
}
SOURCES_IN_COMMUNITY: dict[str, float] = {
    ReferralSource.SELF: 0.45,
    ReferralSource.COMMUNITY: 0.55,
}

REFERRAL_REASONS: dict[str, tuple[str, ...]] = {
    ReferralSource.SELF: (
        "Asked for help with drug use through the in-cell telephone line.",
        "Self-referral form left in the hall box: wants support with alcohol.",
        "Wants to deal with heroin use before liberation.",
        "Asked a peer mentor how to get support with street benzodiazepines.",
        "Came to the drop-in asking for support with cocaine and alcohol.",
    ),
    ReferralSource.STAFF_CONCERN: (
        "Raised in the previous night's report: appeared under the influence.",
        "Night shift concern: low mood, not eating, isolating in cell.",
        "Hall staff concern after a suspected overdose on the landing.",
        "Found unwell in cell overnight; recovered; referred by night staff.",
    ),
    ReferralSource.OFFENDER_MANAGEMENT: (
        "Offending linked to substance use in the sentence plan.",
        "Identified at custody planning as needing throughcare support.",
        "Offender management unit: substance use behind repeated short sentences.",
    ),
    ReferralSource.HEALTHCARE: (
        "Reception health screen: opiate withdrawal.",
        "Prison GP: alcohol dependence, needs a structured assessment.",
        "Mental health team: substance use alongside low mood.",
    ),
    ReferralSource.POSITIVE_DRUG_TEST: (
        "Automatic referral after a confirmed positive drug test (opiates).",
        "Automatic referral after a confirmed positive drug test (benzodiazepines).",
        "Automatic referral after a confirmed positive drug test (psychoactive substances).",
    ),
    ReferralSource.PRE_RELEASE_MEETING: (
        "Re-referred at the pre-release meeting for aftercare arrangements.",
        "Pre-release meeting: needs housing and recovery support on liberation.",
    ),
    ReferralSource.COMMUNITY: (
        "Referred by the community justice team after liberation.",
        "Referred by a community recovery service.",
        "Walked into the community hub asking for support.",
    ),
}

DECISION_NOTES: dict[str, tuple[str, ...]] = {
    ReferralDecision.FULL_SUPPORT: (
        "Full support package agreed; key worker allocated.",
        "Full support package: recovery plan to be drawn up with the person.",
    ),
    ReferralDecision.BRIEF_INTERVENTION: (
        "Brief intervention offered and accepted.",
        "Duty support: advice and harm reduction information given.",
    ),
    ReferralDecision.DECLINED: (
        "Appointment offered and declined; offer recorded and will be repeated.",
        "Does not want support at present; the group will review and offer again.",
    ),
}

CLOSED_REASONS: dict[str, tuple[str, ...]] = {
    "declined": ("Declined the offer of support.",),
    "brief": (
        "Brief intervention completed.",
        "Duty support given; no further support wanted at present.",
    ),
    "custody": (
        "Transferred to another establishment.",
        "Disengaged; re-engagement offered.",
        "Recovery plan goals met.",
    ),
    "community": (
        "Recovery plan goals met in the community.",
        "Moved out of the area; handed over to local services.",
        "Disengaged after liberation; re-engagement attempts recorded.",
    ),
}


class ReferralsMixin(GeneratorBase):
    def key_worker(self) -> UserRef | None:
        return self.rng.choice(self.case_workers) if self.case_workers else None

    def referral_source(self, person: PersonDraft, episode: EpisodeDraft, in_custody: bool) -> str:
        if episode.community_referred or not in_custody:
            return self.weighted(SOURCES_IN_COMMUNITY)
        if episode.previous_id is not None:
            return self.weighted(SOURCES_RE_REFERRAL)
        return self.weighted(SOURCES_IN_CUSTODY)

    def referring_org(self, source: str) -> OrgRef | None:
        if source == ReferralSource.SELF:
            return None
        if source == ReferralSource.HEALTHCARE:
            kinds: tuple[str, ...] = (OrganisationKind.NHS,)
        elif source == ReferralSource.COMMUNITY:
            kinds = (
                OrganisationKind.THIRD_SECTOR,
                OrganisationKind.LOCAL_AUTHORITY,
                OrganisationKind.PROBATION,
            )
        else:
            kinds = (OrganisationKind.PRISON,)
        candidates = self.orgs_of(*kinds)
        return self.rng.choice(candidates) if candidates else None

    def build_episode(self, person: PersonDraft, episode: EpisodeDraft) -> None:
        rng = self.rng
        received = self.clamp(self.at(episode.received_day))
        episode.received = received
        in_custody = person.in_custody_on(episode.received_day)
        source = self.referral_source(person, episode, in_custody)
        referrer = self.referring_org(source)
        worker = self.key_worker()
        episode.key_worker = worker
        episode.lead = self.org_by_slug[worker.organisation] if worker else self.lead_org
        worker_id = worker.id if worker else None
        due = add_working_days(received.date(), 5, self.nation)
        decision = episode.decision
        phases: list[tuple[str, datetime]] = [(Phase.REFERRAL, received)]

        # Screening, then (unless declined) the comprehensive assessment.
        screened: datetime | None = None
        if decision != ReferralDecision.DECLINED or rng.random() < 0.5:
            screened = self.clamp(received + timedelta(hours=rng.randint(1, 30)), received)
        episode.screened = screened
        phases.append((Phase.ASSESSMENT, screened or self.clamp(received, received)))
        comprehensive: datetime | None = None
        if decision in (ReferralDecision.FULL_SUPPORT, ReferralDecision.BRIEF_INTERVENTION):
            draw = rng.random()
            full = decision == ReferralDecision.FULL_SUPPORT
            on_time, late = (0.88, 1.0) if full else (0.70, 0.80)
            if draw < on_time:
                day = add_working_days(received.date(), rng.randint(1, 5), self.nation)
                comprehensive = self.at(day)
            elif draw < late:
                day = add_working_days(due, rng.randint(1, 6), self.nation)
                comprehensive = self.at(day)
            if comprehensive is not None:
                comprehensive = self.clamp(comprehensive, screened or received)
        decided: datetime | None = None
        if decision is not None:
            if comprehensive is not None:
                decided = comprehensive + timedelta(hours=rng.randint(1, 26))
            elif decision == ReferralDecision.DECLINED:
                decided = received + timedelta(hours=rng.randint(4, 72))
            else:
                decided = received + timedelta(hours=rng.randint(24, 120))
            decided = self.clamp(decided, phases[-1][1])
        episode.decided = decided

        closed: datetime | None = None
        reason: str | None = None
        if decision == ReferralDecision.DECLINED:
            assert decided is not None
            closed = self.clamp(decided + timedelta(hours=rng.randint(0, 48)), decided)
            reason = rng.choice(CLOSED_REASONS["declined"])
        elif decided is not None:
            custody_then = person.in_custody_on(decided.date())
            phases.append((Phase.IN_CUSTODY_SUPPORT if custody_then else Phase.COMMUNITY, decided))
            lib = person.liberation
            released = (
                custody_then
                and lib is not None
                and lib < self.today
                and (episode.close_by is None or lib < episode.close_by)
            )
            if custody_then and lib is not None and (released or episode.status == CUSTODY):
                pre = datetime.combine(lib - timedelta(days=PRE_LIBERATION_DAYS), time(10, 0), UTC)
                pre = max(pre, decided + timedelta(days=1))
                if pre < self.now and (not released or pre.date() < lib):
                    phases.append((Phase.PRE_LIBERATION, self.clamp(pre, phases[-1][1])))
            if released and episode.status != CUSTODY:
                assert lib is not None
                out = self.clamp(datetime.combine(lib, time(9, 30), UTC), phases[-1][1])
                phases.append((Phase.COMMUNITY, out))
            if episode.status == CLOSED:
                start = phases[-1][1]
                if phases[-1][0] == Phase.COMMUNITY and custody_then:
                    closed = start + timedelta(days=rng.randint(14, 90))
                    reason = rng.choice(CLOSED_REASONS["community"])
                else:
                    closed = start + timedelta(days=rng.randint(5, 60))
                    kind = "brief" if decision == ReferralDecision.BRIEF_INTERVENTION else "custody"
                    reason = rng.choice(CLOSED_REASONS[kind])
                if episode.close_by is not None:
                    closed = min(closed, datetime.combine(episode.close_by, time(16, 0), UTC))
                closed = self.clamp(closed, start)
        if closed is not None:
            phases.append((Phase.CLOSED, closed))
        episode.closed = closed
        episode.phases = phases
        episode.phase = phases[-1][0]

        self.add(
            Episode,
            received,
            id=episode.id,
            person_id=person.id,
            previous_episode_id=episode.previous_id,
            phase=str(episode.phase),
            key_worker_id=worker_id,
            lead_organisation_id=episode.lead.id,
            opened_at=received,
            closed_at=closed,
            closed_reason=reason,
            updated_at=phases[-1][1],
        )
        previous: str | None = None
        for phase, moment in phases:
            self.add(
                PhaseChange,
                moment,
                episode_id=episode.id,
                from_phase=previous,
                to_phase=str(phase),
                changed_at=moment,
                changed_by=worker_id if previous is not None else None,
                reason=reason if phase == Phase.CLOSED else None,
            )
            previous = str(phase)

        creator = self.user_of(referrer) if referrer else worker
        episode.referral_id = self.add(
            Referral,
            received,
            person_id=person.id,
            episode_id=episode.id,
            source=str(source),
            received_at=received,
            referring_organisation_id=referrer.id if referrer else None,
            reason=rng.choice(REFERRAL_REASONS[source]),
            assessment_due_on=due,
            offered_appointment_at=self.clamp(
                received + timedelta(hours=rng.randint(2, 48)), received
            ),
            decision=str(decision) if decision else None,
            decided_at=decided,
            decided_by=worker_id if decided else None,
            decision_notes=rng.choice(DECISION_NOTES[decision]) if decision else None,
            created_by=creator.id if creator else None,
        )
        self.assessments(person, episode, screened, comprehensive)
