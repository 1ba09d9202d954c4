"""The generator's shared parts: the row references it is given, the drafts it plans with,
and :class:`GeneratorBase`, its state and small draws (ids, times, weighted choices).

Each domain's rows come from a mixin in its own module (``people``, ``referrals``,
``assessments``, ``support``, ``plans``, ``consents``, ``meetings``); ``generator``
assembles them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core.assessments.models import Assessment
from core.consents.models import Consent
from core.db.base import Base
from core.demo.names import FAMILY_NAMES, GIVEN_NAMES
from core.episodes.models import Episode, Phase, PhaseChange
from core.interventions.models import Intervention
from core.meetings.models import (
    CaseMeeting,
    MeetingAction,
    MeetingAttendee,
    MeetingItem,
)
from core.onward_referrals.models import OnwardReferral
from core.outcomes.models import OutcomeReview
from core.persons.models import Location, Person
from core.plans.models import PlanAction, PlanReview, RecoveryPlan
from core.referrals.models import Referral, ReferralDecision
from core.returns.models import ReturnDetails
from core.tenancy.spec import TenantSpec
from core.treatment.models import TreatmentGoal, TreatmentModality

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
    ReturnDetails,
    TreatmentModality,
    TreatmentGoal,
    OnwardReferral,
)


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
class EpisodeDraft:
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
class PersonDraft:
    id: uuid.UUID
    given: str
    family: str
    status: str
    episodes: list[EpisodeDraft] = field(default_factory=list)
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


class GeneratorBase:
    """The generator's state and the small draws every domain uses."""

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
        self.persons: list[PersonDraft] = []
        self.person_rows: dict[uuid.UUID, dict[str, Any]] = {}
        self.intervened: set[uuid.UUID] = set()
        self.escalations: list[tuple[uuid.UUID, date, PersonDraft]] = []

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
