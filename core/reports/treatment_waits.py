"""The two treatment standards, each read for the nation that reports it.

* Scotland (DAISy): referral to *first treatment* within three weeks. First treatment is the
  first treatment modality (core/treatment) the person starts on or after the referral's
  date; an assessment is not treatment.
* England and Wales: continuity of care (the Public Health Outcomes Framework indicator):
  of people released in the period while in structured treatment, the share whose first
  community treatment appointment was attended within 21 days of release. Release is the
  liberation date of a person now in the community; "in treatment" is a modality open on
  that date; engagement is an attended appointment of an onward referral to community
  treatment, on day 0 to day 21 after release.

No person is named: only counts and day differences leave these queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.onward_referrals.models import OnwardReferral, OnwardService, OnwardStatus
from core.persons.models import Location, Person
from core.referrals.services import local_date
from core.reports.queries import Scope, referrals_in
from core.treatment.models import TreatmentModality

DAISY_DAYS = 21  # Scotland's standard: referral to first treatment within three weeks
CONTINUITY_DAYS = 21  # England's continuity of care: engaged within 21 days of release


@dataclass(frozen=True)
class FirstTreatment:
    started: list[int]  # days from referral to first treatment, one per referral treated
    waiting: int  # referrals in the period with no treatment started by its end


async def first_treatment(session: AsyncSession, scope: Scope) -> FirstTreatment:
    referrals = referrals_in(scope).subquery()
    rows = (
        await session.execute(
            select(referrals.c.id, referrals.c.received_at, TreatmentModality.started_on)
            .select_from(referrals)
            .outerjoin(
                TreatmentModality,
                and_(
                    TreatmentModality.tenant_id == referrals.c.tenant_id,
                    TreatmentModality.person_id == referrals.c.person_id,
                    TreatmentModality.started_on <= scope.end,
                ),
            )
            .where(or_(referrals.c.decision.is_(None), referrals.c.decision != "declined"))
        )
    ).all()
    # The first start on or after the referral's own (UK) date: an earlier modality belongs
    # to an earlier referral.
    first: dict[object, int | None] = {}
    for referral_id, received_at, started_on in rows:
        received = local_date(received_at)
        days = (started_on - received).days if started_on is not None else None
        if days is not None and days < 0:
            days = None
        known = first.get(referral_id)
        if referral_id not in first or (days is not None and (known is None or days < known)):
            first[referral_id] = days
    started = sorted(d for d in first.values() if d is not None)
    return FirstTreatment(started, sum(1 for d in first.values() if d is None))


@dataclass(frozen=True)
class Continuity:
    released_in_treatment: int
    engaged_within: int


async def continuity_of_care(session: AsyncSession, scope: Scope) -> Continuity:
    released = (
        select(Person.id, Person.liberation_date)
        .where(
            Person.tenant_id == scope.tenant_id,
            Person.location == Location.IN_COMMUNITY,
            Person.liberation_date >= scope.start,
            Person.liberation_date <= scope.end,
        )
        .subquery()
    )
    in_treatment = select(released.c.id, released.c.liberation_date).where(
        select(TreatmentModality.id)
        .where(
            TreatmentModality.tenant_id == scope.tenant_id,
            TreatmentModality.person_id == released.c.id,
            TreatmentModality.started_on <= released.c.liberation_date,
            or_(
                TreatmentModality.ended_on.is_(None),
                TreatmentModality.ended_on >= released.c.liberation_date,
            ),
            *(
                (TreatmentModality.organisation_id == scope.organisation_id,)
                if scope.organisation_id is not None
                else ()
            ),
        )
        .exists()
    )
    people = (await session.execute(in_treatment)).all()
    if not people:
        return Continuity(0, 0)
    appointments = (
        await session.execute(
            select(OnwardReferral.person_id, OnwardReferral.appointment_on).where(
                OnwardReferral.tenant_id == scope.tenant_id,
                OnwardReferral.person_id.in_([p for p, _ in people]),
                OnwardReferral.service == OnwardService.COMMUNITY_TREATMENT,
                OnwardReferral.status == OnwardStatus.ATTENDED,
                OnwardReferral.appointment_on.is_not(None),
            )
        )
    ).all()
    seen: dict[object, list[date]] = {}
    for person_id, on in appointments:
        seen.setdefault(person_id, []).append(_as_date(on))
    engaged = 0
    for person_id, released_on in people:
        released_on = _as_date(released_on)
        window_end = released_on + timedelta(days=CONTINUITY_DAYS)
        engaged += any(released_on <= on <= window_end for on in seen.get(person_id, []))
    return Continuity(len(people), engaged)


def _as_date(value: object) -> date:
    # SQLite hands an aggregate's date back as text.
    return date.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]
