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

import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from core.demo.assessments import AssessmentsMixin
from core.demo.base import (
    TABLE_ORDER,
    CaseData,
    OrgRef,
    UserRef,
    check_digit,
    prison_prefix,
)
from core.demo.consents import ConsentsMixin
from core.demo.meetings import MeetingsMixin
from core.demo.people import PeopleMixin
from core.demo.plans import PlansMixin
from core.demo.referrals import ReferralsMixin
from core.demo.support import SupportMixin
from core.demo.treatment import TreatmentMixin
from core.episodes.models import Episode
from core.persons.models import Person
from core.tenancy.spec import TenantSpec

__all__ = [
    "TABLE_ORDER",
    "CaseData",
    "OrgRef",
    "UserRef",
    "check_digit",
    "generate",
    "prison_prefix",
]


class _Generator(
    PeopleMixin,
    ReferralsMixin,
    AssessmentsMixin,
    SupportMixin,
    PlansMixin,
    ConsentsMixin,
    MeetingsMixin,
    TreatmentMixin,
):
    """One partnership's generator: each domain's rows from its mixin, in run order."""

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
        self.treatment_for_everyone()
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
