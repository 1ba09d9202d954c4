"""Deterministic generation of one partnership's synthetic case data.

``generate`` is pure: from the tenant file, the partnership's organisations and demo
users and a ``today`` it returns plain row dictionaries, in an order that satisfies the
foreign keys, ready for bulk insert. Everything is drawn from ``random.Random(seed)``
(ids from a second generator seeded with the seed and the tenant's slug), so the same
seed and ``today`` always give the same people, the same ids and the same record.

The shapes follow the Low Moss Public Social Partnership's evaluation (the seed
document), scaled to ``[demo] persons``: several hundred referrals over about eleven
months, a clear majority of them self-referrals; of the decided ones about 36% a full
support package and 64% a brief intervention or duty support, a few declined offers
kept on the record; people re-referred, each time on a new episode linked to the one
before; an active caseload of about a third of the people, split like Low Moss's 104 in
the community, 78 in custody and 16 in assessment; liberation dates ahead for most
people in custody; monthly outcome reviews where social functioning improves most.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from core.assessments.models import Assessment, AssessmentKind, RiskLevel
from core.consents.models import Consent, LawfulBasis
from core.db.base import Base
from core.demo.names import FAMILY_NAMES, GIVEN_NAMES
from core.episodes.models import Episode, Phase, PhaseChange
from core.interventions.models import Intervention, Setting
from core.meetings.models import (
    CaseMeeting,
    MeetingAction,
    MeetingAttendee,
    MeetingItem,
    MeetingKind,
)
from core.outcomes.models import DOMAINS, SCORE_MAX, SCORE_MIN, OutcomeReview
from core.persons.models import Location, Person
from core.plans.models import PlanAction, PlanReview, PlanStatus, RecoveryPlan
from core.referrals.models import Referral, ReferralDecision, ReferralSource
from core.tenancy.models import OrganisationKind
from core.tenancy.spec import TenantSpec
from core.vocabulary import CORE_INTERVENTION_KINDS
from core.working_days import add_working_days, is_working_day

# Bulk-insert order: every row's foreign keys point at rows of an earlier table (or, for
# episodes and meetings, at earlier rows of the same table).
TABLE_ORDER: tuple[type[Base], ...] = (
    Person,
    Episode,
    PhaseChange,
    Referral,
    Assessment,
    Consent,
    RecoveryPlan,
    PlanAction,
    PlanReview,
    Intervention,
    OutcomeReview,
    CaseMeeting,
    MeetingAttendee,
    MeetingItem,
    MeetingAction,
)

# Low Moss, 19 March 2015: 198 active of ~600 people; 104 community, 78 custody, 16 assessment.
ACTIVE_SHARE = 198 / 600
COMMUNITY_SHARE = 104 / 198
ASSESSMENT_SHARE = 16 / 198
FULL_SUPPORT_SHARE = 0.36  # of decided referrals not declined (206 of 571)
WINDOW_DAYS = 335  # about eleven months of referrals
PRE_LIBERATION_DAYS = 42  # an episode moves to pre-liberation six weeks before release

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

MEETING_REASONS: tuple[str, ...] = (
    "Raised in last night's report.",
    "Positive drug test this week.",
    "Liberation is close: housing not yet confirmed.",
    "Missed two appointments.",
    "Returned from hospital after a suspected overdose.",
)
MEETING_DISCUSSIONS: tuple[str, ...] = (
    "Each partner shared what it knows; the person has asked for help before.",
    "Low mood reported by hall staff; healthcare to review today.",
    "Support offered last week was declined; the group considered what more to offer.",
    "Housing and prescribing arrangements for liberation day discussed.",
)
MEETING_OUTCOMES: tuple[str, ...] = (
    "Recovery-focused plan agreed.",
    "Offer of support repeated; to be reviewed tomorrow.",
    "Referred for a full assessment.",
    "No further action; keep under review.",
)
MEETING_ACTIONS: tuple[str, ...] = (
    "See the person today and offer support.",
    "Healthcare review this afternoon.",
    "Chase the housing application.",
    "Offer a naloxone kit and training.",
    "Arrange a peer mentor visit.",
)

CONSENTS: tuple[tuple[str, str, str], ...] = (
    # (category, recipient kind, purpose)
    ("substance_use", OrganisationKind.NHS, "Continuity of substance use treatment."),
    ("health", OrganisationKind.NHS, "Joined-up health care in prison and community."),
    ("substance_use", OrganisationKind.THIRD_SECTOR, "Recovery support by partner organisations."),
    ("housing", OrganisationKind.LOCAL_AUTHORITY, "Housing registration ahead of liberation."),
    ("family", OrganisationKind.THIRD_SECTOR, "Family support."),
    ("employability", OrganisationKind.THIRD_SECTOR, "Employability support."),
    ("justice", OrganisationKind.PROBATION, "Release planning with the probation service."),
    ("risk", OrganisationKind.PRISON, "Safer custody and risk management."),
    ("custody", OrganisationKind.THIRD_SECTOR, "Planning for liberation."),
)
HANDOVER_PURPOSE = "Handover of the recovery plan to the community provider on release."

# Where a person's latest episode stands: the three parts of the active caseload, or closed.
CUSTODY, COMMUNITY, ASSESSMENT, CLOSED = "custody", "community", "assessment", "closed"


@dataclass(frozen=True)
class OrgRef:
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    is_lead: bool = False


@dataclass(frozen=True)
class UserRef:
    id: uuid.UUID
    username: str
    display_name: str
    organisation: str  # the organisation's slug
    roles: tuple[str, ...]


@dataclass
class CaseData:
    """Rows per model, in TABLE_ORDER."""

    rows: dict[type[Base], list[dict[str, Any]]]

    def counts(self) -> dict[str, int]:
        return {model.__tablename__: len(rows) for model, rows in self.rows.items()}


@dataclass
class _Episode:
    id: uuid.UUID
    status: str  # the person's status if this is their latest episode, else CLOSED
    received_day: date
    close_by: date | None = None  # an earlier episode closes before the next one opens
    previous_id: uuid.UUID | None = None
    decision: str | None = None
    community_referred: bool = False
    # Filled in when the timeline is built.
    received: datetime | None = None
    decided: datetime | None = None
    closed: datetime | None = None
    phase: str = Phase.REFERRAL
    key_worker: UserRef | None = None
    lead: OrgRef | None = None
    phases: list[tuple[str, datetime]] = field(default_factory=list)
    referral_id: uuid.UUID | None = None
    screened: datetime | None = None

    @property
    def supported(self) -> bool:
        return self.decision in (ReferralDecision.FULL_SUPPORT, ReferralDecision.BRIEF_INTERVENTION)


@dataclass
class _Person:
    id: uuid.UUID
    given: str
    family: str
    status: str
    episodes: list[_Episode] = field(default_factory=list)
    location: str = Location.IN_CUSTODY
    reception: date | None = None
    liberation: date | None = None

    def in_custody_on(self, day: date) -> bool:
        if self.reception is None or day < self.reception:
            return False
        return self.liberation is None or day < self.liberation


def prison_prefix(slug: str) -> str:
    """Two letters for a partnership's prison numbers: low-moss -> LM, leicester -> LE."""
    parts = [p for p in slug.split("-") if p]
    if len(parts) >= 2:
        return (parts[0][0] + parts[1][0]).upper()
    return slug[:2].upper()


def check_digit(nine: str) -> int:
    """The NHS/CHI modulus-11 check digit of nine digits; 10 means no valid number."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else check


class _Generator:
    def __init__(
        self,
        spec: TenantSpec,
        tenant_id: uuid.UUID,
        organisations: Sequence[OrgRef],
        users: Sequence[UserRef],
        today: date,
    ) -> None:
        self.spec = spec
        self.tenant_id = tenant_id
        self.today = today
        # Nothing happens on or after the start of `today`.
        self.now = datetime.combine(today, time(0, 0), UTC)
        self.nation = str(spec.nation)
        # Data from the seed alone; ids from a second stream so they never shift the data.
        self.rng = random.Random(spec.demo.seed)  # noqa: S311 - synthetic data, not secrets
        self.ids = random.Random(f"{spec.slug}:{spec.demo.seed}")  # noqa: S311
        self.orgs = list(organisations)
        self.org_by_slug = {o.slug: o for o in self.orgs}
        self.lead_org = next((o for o in self.orgs if o.is_lead), self.orgs[0])
        self.users = list(users)
        self.case_workers = [u for u in self.users if "case_worker" in u.roles]
        self.rows: dict[type[Base], list[dict[str, Any]]] = {m: [] for m in TABLE_ORDER}
        self.persons: list[_Person] = []
        self.person_rows: dict[uuid.UUID, dict[str, Any]] = {}
        self.intervened: set[uuid.UUID] = set()
        self.escalations: list[tuple[uuid.UUID, date, _Person]] = []

    # -- helpers ---------------------------------------------------------------------

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.ids.getrandbits(128), version=4)

    def add(self, model: type[Base], created_at: datetime, **values: Any) -> uuid.UUID:
        row_id = values.pop("id", None) or self.uid()
        self.rows[model].append(
            {"tenant_id": self.tenant_id, "id": row_id, "created_at": created_at, **values}
        )
        return row_id

    def at(self, day: date, first: int = 8, last: int = 19) -> datetime:
        """A time of day during working hours (halls are open to partners until 8pm)."""
        clock = time(self.rng.randint(first, last), self.rng.randrange(0, 60, 5))
        return datetime.combine(day, clock, UTC)

    def clamp(self, moment: datetime, after: datetime | None = None) -> datetime:
        """Before the start of today and, when given, at least a minute after ``after``."""
        moment = min(moment, self.now - timedelta(minutes=1))
        if after is not None:
            moment = max(moment, after + timedelta(minutes=1))
        return moment

    def weighted(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def orgs_of(self, *kinds: str) -> list[OrgRef]:
        return [o for o in self.orgs if o.kind in kinds]

    def user_of(self, org: OrgRef | None) -> UserRef | None:
        """The demo user who would record work for ``org`` (not an analyst), if any."""
        if org is None:
            return None
        for user in self.users:
            if user.organisation == org.slug and set(user.roles) - {"analyst"}:
                return user
        return None

    def user_id_of(self, org: OrgRef | None) -> uuid.UUID | None:
        user = self.user_of(org)
        return user.id if user else None

    def staff_name(self, org: OrgRef) -> str:
        given = self.rng.choice(GIVEN_NAMES)
        return f"{given} {self.rng.choice(FAMILY_NAMES)} ({org.name})"

    # -- people ----------------------------------------------------------------------

    def statuses(self, count: int) -> list[str]:
        active = round(count * ACTIVE_SHARE)
        assessment = max(1, round(active * ASSESSMENT_SHARE)) if active else 0
        community = min(active - assessment, round(active * COMMUNITY_SHARE))
        custody = active - assessment - community
        statuses = (
            [COMMUNITY] * community
            + [CUSTODY] * custody
            + [ASSESSMENT] * assessment
            + [CLOSED] * (count - active)
        )
        self.rng.shuffle(statuses)
        return statuses

    def identity_numbers(self, count: int) -> tuple[list[str], list[date], list[str]]:
        prefix = prison_prefix(self.spec.slug)
        prison = [f"{prefix}{n}" for n in self.rng.sample(range(100000, 1000000), count)]
        births: list[date] = []
        numbers: list[str] = []
        seen: set[str] = set()
        scotland = self.nation == "scotland"
        for _ in range(count):
            age = int(self.rng.triangular(18, 64, 31))
            born = self.today - timedelta(days=365 * age + self.rng.randint(0, 364))
            births.append(born)
            while True:
                # CHI numbers begin with the date of birth; NHS numbers here use 999, the
                # range NHS England reserves for testing.
                head = born.strftime("%d%m%y") if scotland else "999"
                nine = head + "".join(str(self.rng.randint(0, 9)) for _ in range(9 - len(head)))
                check = check_digit(nine)
                number = f"{nine}{check}"
                if check != 10 and number not in seen:
                    seen.add(number)
                    numbers.append(number)
                    break
        return prison, births, numbers

    def plan_people(self) -> None:
        count = self.spec.demo.persons
        statuses = self.statuses(count)
        names = self.rng.sample(range(len(GIVEN_NAMES) * len(FAMILY_NAMES)), count)
        prison, births, numbers = self.identity_numbers(count)
        assessment_seen = 0
        establishment = next((o.name for o in self.orgs if o.kind == OrganisationKind.PRISON), None)
        for i, status in enumerate(statuses):
            given = GIVEN_NAMES[names[i] % len(GIVEN_NAMES)]
            family = FAMILY_NAMES[names[i] // len(GIVEN_NAMES)]
            person = _Person(id=self.uid(), given=given, family=family, status=status)
            if status == ASSESSMENT:
                # The first is past its five working days, so the overdue list has someone.
                ago = 12 if assessment_seen == 0 else self.rng.randint(1, 16)
                assessment_seen += 1
            elif status == CUSTODY:
                ago = self.rng.randint(14, 300)
            elif status == COMMUNITY:
                ago = self.rng.randint(45, 330)
            else:
                ago = self.rng.randint(25, WINDOW_DAYS)
            final_day = self.today - timedelta(days=ago)
            draw = self.rng.random()
            earlier = 2 if draw < 0.04 else 1 if draw < 0.20 else 0
            earlier = min(earlier, (WINDOW_DAYS - ago - 10) // 45)
            episodes: list[_Episode] = []
            if earlier > 0:
                room = WINDOW_DAYS - ago - 10
                slot = room // earlier
                for k in range(earlier):
                    start = WINDOW_DAYS - k * slot - self.rng.randint(0, slot // 3)
                    opened = self.today - timedelta(days=start)
                    slot_end = self.today - timedelta(days=WINDOW_DAYS - (k + 1) * slot)
                    episodes.append(
                        _Episode(
                            id=self.uid(),
                            status=CLOSED,
                            received_day=opened,
                            close_by=min(slot_end, final_day - timedelta(days=7)),
                        )
                    )
            final = _Episode(id=self.uid(), status=status, received_day=final_day)
            if status == COMMUNITY and self.rng.random() < 0.2:
                final.community_referred = True
            episodes.append(final)
            for before, after in pairwise(episodes):
                after.previous_id = before.id
            person.episodes = episodes
            self.persons.append(person)
            self.person_rows[person.id] = {
                "given_name": given,
                "family_name": family,
                "sort_name": f"{family} {given}".lower(),
                "date_of_birth": births[i],
                "prison_number": prison[i],
                "nhs_number": numbers[i],
                "establishment": establishment,
            }

    def assign_decisions(self) -> None:
        """Quotas, so that the shape holds for any number of people."""
        open_eps = [e for p in self.persons for e in p.episodes if e.status in (CUSTODY, COMMUNITY)]
        closed_eps = [e for p in self.persons for e in p.episodes if e.status == CLOSED]
        declined = max(1, round(0.05 * len(closed_eps))) if closed_eps else 0
        full_total = round(FULL_SUPPORT_SHARE * (len(open_eps) + len(closed_eps) - declined))
        # Full support packages last: most of the active caseload is on one.
        full_open = min(len(open_eps), round(0.6 * len(open_eps)), full_total)
        full_closed = max(0, full_total - full_open)
        self.rng.shuffle(open_eps)
        for i, episode in enumerate(open_eps):
            episode.decision = (
                ReferralDecision.FULL_SUPPORT
                if i < full_open
                else ReferralDecision.BRIEF_INTERVENTION
            )
        self.rng.shuffle(closed_eps)
        for i, episode in enumerate(closed_eps):
            if i < declined:
                episode.decision = ReferralDecision.DECLINED
            elif i < declined + full_closed:
                episode.decision = ReferralDecision.FULL_SUPPORT
            else:
                episode.decision = ReferralDecision.BRIEF_INTERVENTION

    def place(self, person: _Person) -> None:
        """Reception and liberation dates, and where the person is now."""
        final = person.episodes[-1]
        first_day = person.episodes[0].received_day
        ago = (self.today - final.received_day).days
        person.reception = first_day - timedelta(days=self.rng.randint(2, 120))
        if person.status == CUSTODY:
            draw = self.rng.random()
            if draw < 0.75:  # the housing board and liberation countdowns need these
                person.liberation = self.today + timedelta(days=self.rng.randint(7, 112))
            elif draw < 0.9:
                person.liberation = self.today + timedelta(days=self.rng.randint(113, 400))
        elif person.status == ASSESSMENT:
            if self.rng.random() < 0.6:
                person.liberation = self.today + timedelta(days=self.rng.randint(14, 200))
        elif person.status == COMMUNITY:
            person.location = Location.IN_COMMUNITY
            if final.community_referred:
                person.liberation = final.received_day - timedelta(days=self.rng.randint(3, 90))
                person.reception = person.liberation - timedelta(days=self.rng.randint(30, 400))
            else:
                person.liberation = final.received_day + timedelta(
                    days=self.rng.randint(21, ago - 3)
                )
        elif (
            final.decision == ReferralDecision.FULL_SUPPORT
            and ago >= 60
            and self.rng.random() < 0.6  # supported through the gate, then closed
        ):
            person.location = Location.IN_COMMUNITY
            person.liberation = final.received_day + timedelta(days=self.rng.randint(21, ago - 20))

    def place_after_closure(self, person: _Person) -> None:
        """A closed person not supported through the gate: still in, or released since."""
        final = person.episodes[-1]
        if person.status != CLOSED or person.liberation is not None:
            return
        assert final.closed is not None
        room = (self.today - final.closed.date()).days - 1
        if room >= 1 and self.rng.random() < 0.5:
            person.location = Location.IN_COMMUNITY
            person.liberation = final.closed.date() + timedelta(days=self.rng.randint(1, room))
        elif self.rng.random() < 0.8:
            person.liberation = self.today + timedelta(days=self.rng.randint(7, 300))

    # -- one episode -----------------------------------------------------------------

    def key_worker(self) -> UserRef | None:
        return self.rng.choice(self.case_workers) if self.case_workers else None

    def referral_source(self, person: _Person, episode: _Episode, in_custody: bool) -> str:
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

    def build_episode(self, person: _Person, episode: _Episode) -> None:
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

    def assessments(
        self,
        person: _Person,
        episode: _Episode,
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
        self, person: _Person, episode: _Episode, kind: str, org: OrgRef | None, moment: datetime
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

    def support_window(self, episode: _Episode) -> tuple[datetime, datetime] | None:
        if not episode.supported or episode.decided is None:
            return None
        end = episode.closed or self.clamp(self.now)
        return (episode.decided, end) if end > episode.decided else None

    def moment_in(self, window: tuple[datetime, datetime]) -> datetime:
        start, end = window
        days = max(0, (end.date() - start.date()).days)
        moment = self.at(start.date() + timedelta(days=self.rng.randint(0, days)), 8, 19)
        return min(max(moment, start + timedelta(minutes=5)), end - timedelta(minutes=1))

    def setting_on(self, person: _Person, day: date) -> str:
        return Setting.PRISON if person.in_custody_on(day) else Setting.COMMUNITY

    def intervention(
        self, person: _Person, episode: _Episode, org: OrgRef, moment: datetime, setting: str
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

    def interventions(self, person: _Person, episode: _Episode) -> None:
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

    def outcome_reviews(self, person: _Person, episode: _Episode) -> None:
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

    def plan(self, person: _Person, episode: _Episode) -> None:
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

    def consents(self, person: _Person) -> None:
        supported = [e for e in person.episodes if e.supported]
        if not supported:
            return
        rng = self.rng
        first = supported[0]
        base = first.screened or first.received
        assert base is not None
        kinds = {o.kind for o in self.orgs}
        choices = [c for c in CONSENTS if c[1] in kinds]
        worker = first.key_worker.id if first.key_worker else None
        for category, kind, purpose in rng.sample(choices, min(len(choices), rng.randint(2, 4))):
            given = self.clamp(base + timedelta(minutes=rng.randint(5, 90)), base)
            named = [o for o in self.orgs if o.kind == kind]
            recipient: OrgRef | None = None
            if named and rng.random() < 0.3:
                recipient = rng.choice(named)
            basis = LawfulBasis.CONSENT
            if category in ("risk", "justice"):
                basis = (
                    LawfulBasis.PUBLIC_TASK if rng.random() < 0.9 else LawfulBasis.VITAL_INTERESTS
                )
            withdrawn: datetime | None = None
            room = (self.now - given).days
            if room > 8 and rng.random() < 0.06:
                withdrawn = self.clamp(given + timedelta(days=rng.randint(7, room - 1)), given)
            self.add(
                Consent,
                given,
                person_id=person.id,
                category=category,
                recipient_organisation_id=recipient.id if recipient else None,
                recipient_kind=None if recipient else str(kind),
                purpose=purpose,
                lawful_basis=str(basis),
                given_at=given,
                expires_at=given + timedelta(days=365) if rng.random() < 0.2 else None,
                withdrawn_at=withdrawn,
                recorded_by=worker,
                withdrawn_by=worker if withdrawn else None,
            )

    # -- the partnership -------------------------------------------------------------

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

    def meetings(self) -> None:
        """A handful of daily meetings over the last two weeks, and one escalated case."""
        rng = self.rng
        concern = [p for p in self.persons if p.status in (CUSTODY, ASSESSMENT)]
        if not concern:
            return
        days = [
            self.today - timedelta(days=n)
            for n in range(1, 15)
            if is_working_day(self.today - timedelta(days=n), self.nation)
        ][:6]
        days.reverse()
        chair = next((u for u in self.users if "partnership_lead" in u.roles), None)
        core = self.orgs_of(OrganisationKind.PRISON, OrganisationKind.NHS)
        if self.lead_org not in core:
            core.append(self.lead_org)
        others = [o for o in self.orgs if o not in core]
        escalate_at = len(days) // 2
        for n, held in enumerate(days):
            extra = rng.sample(others, min(len(others), rng.randint(1, 2)))
            attending = [*core, *extra]
            meeting_id = self.meeting(
                held,
                MeetingKind.DAILY,
                f"{self.spec.name}: daily meeting, {held:%A %d %B %Y}",
                chair,
                attending,
            )
            for person in rng.sample(concern, min(len(concern), rng.randint(2, 5))):
                escalated = n == escalate_at and not self.escalations
                self.item(meeting_id, held, person, attending, escalated)
                if escalated:
                    self.escalations.append((meeting_id, held, person))
        # Complex case meetings follow the daily ones, so the rows they point at come first.
        for meeting_id, held, person in self.escalations:
            later = [d for d in days if d > held] or [held]
            attending = list(core)
            complex_id = self.meeting(
                later[0],
                MeetingKind.COMPLEX_CASE,
                f"Complex case meeting: {person.given} {person.family}",
                chair,
                attending,
                escalated_from=meeting_id,
                person=person,
            )
            self.item(complex_id, later[0], person, attending, False)

    def meeting(
        self,
        held: date,
        kind: str,
        title: str,
        chair: UserRef | None,
        attending: list[OrgRef],
        *,
        escalated_from: uuid.UUID | None = None,
        person: _Person | None = None,
    ) -> uuid.UUID:
        start = datetime.combine(held, time(9, 0), UTC)
        meeting_id = self.add(
            CaseMeeting,
            start,
            kind=str(kind),
            held_on=held,
            title=title,
            escalated_from_meeting_id=escalated_from,
            escalated_person_id=person.id if person else None,
            chair_id=chair.id if chair else None,
            notes="Brief meeting; core membership from every discipline.",
            closed_at=start + timedelta(minutes=self.rng.randint(25, 50)),
        )
        for org in attending:
            user = self.user_of(org)
            self.add(
                MeetingAttendee,
                start,
                meeting_id=meeting_id,
                organisation_id=org.id,
                user_id=user.id if user else None,
                name=user.display_name if user else self.staff_name(org),
            )
        return meeting_id

    def item(
        self,
        meeting_id: uuid.UUID,
        held: date,
        person: _Person,
        attending: list[OrgRef],
        escalated: bool,
    ) -> None:
        rng = self.rng
        start = datetime.combine(held, time(9, 0), UTC)
        item_id = self.add(
            MeetingItem,
            start,
            meeting_id=meeting_id,
            person_id=person.id,
            reason=rng.choice(MEETING_REASONS),
            discussion=rng.choice(MEETING_DISCUSSIONS),
            outcome="Escalated to a complex case meeting."
            if escalated
            else rng.choice(MEETING_OUTCOMES),
            escalated=escalated,
        )
        for _ in range(rng.randint(1, 2)):
            owner = rng.choice(attending)
            user = self.user_of(owner)
            due = held + timedelta(days=rng.randint(0, 5))
            completed: datetime | None = None
            if due < self.today and rng.random() < 0.6:
                completed = self.clamp(self.at(due, 10, 17), start)
            self.add(
                MeetingAction,
                start,
                meeting_id=meeting_id,
                item_id=item_id,
                description=rng.choice(MEETING_ACTIONS),
                owner_organisation_id=owner.id,
                owner_user_id=user.id if user else None,
                due_on=due,
                completed_at=completed,
            )

    def run(self, progress: Callable[[int, int], None] | None = None) -> CaseData:
        self.plan_people()
        self.assign_decisions()
        total = len(self.persons)
        for done, person in enumerate(self.persons, 1):
            self.place(person)
            self.build_episode(person, person.episodes[-1])
            self.place_after_closure(person)
            for episode in person.episodes[:-1]:
                self.build_episode(person, episode)
            # Episodes go in oldest first, so each links to one already inserted.
            for episode in person.episodes:
                self.interventions(person, episode)
                self.outcome_reviews(person, episode)
                self.plan(person, episode)
            self.consents(person)
            first = person.episodes[0].received
            last = person.episodes[-1].phases[-1][1]
            assert first is not None
            created = first - timedelta(minutes=5)
            self.rows[Person].append(
                {
                    "tenant_id": self.tenant_id,
                    "id": person.id,
                    "created_at": created,
                    **self.person_rows[person.id],
                    "location": str(person.location),
                    "reception_date": person.reception,
                    "liberation_date": person.liberation,
                    "updated_at": max(created, last),
                }
            )
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)
        self.rows[Episode].sort(key=lambda r: r["opened_at"])
        self.ensure_every_partner_intervened()
        self.meetings()
        return CaseData(rows=self.rows)


def generate(
    spec: TenantSpec,
    *,
    tenant_id: uuid.UUID,
    organisations: Sequence[OrgRef],
    users: Sequence[UserRef],
    today: date,
    progress: Callable[[int, int], None] | None = None,
) -> CaseData:
    """The partnership's synthetic case data, the same for the same seed and ``today``."""
    if not organisations:
        raise ValueError(f"{spec.slug}: no organisations; sync the tenants first")
    return _Generator(spec, tenant_id, organisations, users, today).run(progress)
