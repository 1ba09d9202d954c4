"""The SQL behind every report figure. Each function returns raw counts for one tenant and
period; suppression happens later, in the services, on these counts only.

The period is whole days in UK civil time: ``start`` 00:00 to the end of ``end``. Filtering
by one partner organisation means:

* referrals, caseload and community arrangements: the episode's lead partner is that
  organisation (``episodes.lead_organisation_id``);
* interventions and outcome reviews: recorded by that organisation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessments.models import INITIAL_KINDS, Assessment
from core.episodes.models import Episode, Phase, PhaseChange
from core.interventions.models import Intervention, Setting
from core.outcomes.models import DOMAINS, OutcomeReview
from core.plans.models import RecoveryPlan
from core.referrals.models import Referral, ReferralDecision, ReferralSource
from core.referrals.services import UK_TIME

# Where an open episode's phase puts the person in the active caseload (Low Moss's split).
CASELOAD_GROUPS: dict[str, tuple[str, ...]] = {
    "community": (Phase.COMMUNITY,),
    "prison": (Phase.IN_CUSTODY_SUPPORT, Phase.PRE_LIBERATION),
    "assessment": (Phase.ASSESSMENT,),
}
ACCEPTED = (ReferralDecision.FULL_SUPPORT, ReferralDecision.BRIEF_INTERVENTION)


@dataclass(frozen=True)
class Scope:
    tenant_id: uuid.UUID
    start: date
    end: date
    organisation_id: uuid.UUID | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UK_TIME)

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(), UK_TIME)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def referrals_in(scope: Scope) -> Any:
    stmt = select(Referral).where(
        Referral.tenant_id == scope.tenant_id,
        Referral.received_at >= scope.start_at,
        Referral.received_at < scope.end_at,
    )
    if scope.organisation_id is not None:
        stmt = stmt.join(
            Episode,
            and_(Episode.tenant_id == Referral.tenant_id, Episode.id == Referral.episode_id),
        ).where(Episode.lead_organisation_id == scope.organisation_id)
    return stmt


@dataclass(frozen=True)
class ReferralCounts:
    total: int
    full_support: int
    brief_intervention: int
    declined: int
    undecided: int
    self_referrals: int


async def referral_counts(session: AsyncSession, scope: Scope) -> ReferralCounts:
    """Referrals received in the period, by decision, and how many were self-referrals."""
    referrals = referrals_in(scope).subquery()
    row = (
        await session.execute(
            select(
                func.count(),
                _count_if(referrals.c.decision == ReferralDecision.FULL_SUPPORT),
                _count_if(referrals.c.decision == ReferralDecision.BRIEF_INTERVENTION),
                _count_if(referrals.c.decision == ReferralDecision.DECLINED),
                _count_if(referrals.c.decision.is_(None)),
                _count_if(referrals.c.source == ReferralSource.SELF),
            ).select_from(referrals)
        )
    ).one()
    return ReferralCounts(*(int(v) for v in row))


@dataclass(frozen=True)
class KpiCounts:
    referrals: int
    offered: int
    engaged: int
    community_arranged: int
    community_engaged: int


async def kpi_counts(session: AsyncSession, scope: Scope) -> KpiCounts:
    """The service specification's KPIs, in people (except ``referrals``).

    * ``referrals``: referrals received in the period.
    * ``offered``: people with a referral received in the period on which a decision was
      recorded — full support, brief intervention, or declined. The specification says "an
      appointment will be offered, and a record made, if declined": a decision is the record
      that the offer was made, whatever the answer.
    * ``engaged``: of those offered, people with a referral in the period accepted (full
      support package or brief intervention) and at least one intervention with them logged
      at or after that decision and before the period ends.
    * ``community_arranged``: the data model has no "community treatment arranged" fact, so it
      is derived from the recovery-plan handover: people whose recovery plan was handed over to
      a community provider (``recovery_plans.handed_over_at``) in the period — the handover
      happens on release, with consent, and is what arranges the community treatment.
    * ``community_engaged``: of those, people with a community-setting intervention logged at
      or after the handover and before the period ends.
    """
    referrals = referrals_in(scope).subquery()
    total = await session.scalar(select(func.count()).select_from(referrals))
    offered = await session.scalar(
        select(func.count(func.distinct(referrals.c.person_id))).where(
            referrals.c.decision.is_not(None)
        )
    )
    intervention_after = select(Intervention.id).where(
        Intervention.tenant_id == referrals.c.tenant_id,
        Intervention.person_id == referrals.c.person_id,
        Intervention.occurred_at >= referrals.c.decided_at,
        Intervention.occurred_at < scope.end_at,
    )
    if scope.organisation_id is not None:
        intervention_after = intervention_after.where(
            Intervention.organisation_id == scope.organisation_id
        )
    engaged = await session.scalar(
        select(func.count(func.distinct(referrals.c.person_id))).where(
            referrals.c.decision.in_(ACCEPTED), exists(intervention_after)
        )
    )
    plans = select(RecoveryPlan).where(
        RecoveryPlan.tenant_id == scope.tenant_id,
        RecoveryPlan.handed_over_at >= scope.start_at,
        RecoveryPlan.handed_over_at < scope.end_at,
    )
    if scope.organisation_id is not None:
        plans = plans.join(
            Episode,
            and_(
                Episode.tenant_id == RecoveryPlan.tenant_id, Episode.id == RecoveryPlan.episode_id
            ),
        ).where(Episode.lead_organisation_id == scope.organisation_id)
    handed = plans.subquery()
    arranged = await session.scalar(select(func.count(func.distinct(handed.c.person_id))))
    community_after = select(Intervention.id).where(
        Intervention.tenant_id == handed.c.tenant_id,
        Intervention.person_id == handed.c.person_id,
        Intervention.setting == Setting.COMMUNITY,
        Intervention.occurred_at >= handed.c.handed_over_at,
        Intervention.occurred_at < scope.end_at,
    )
    community_engaged = await session.scalar(
        select(func.count(func.distinct(handed.c.person_id))).where(exists(community_after))
    )
    return KpiCounts(
        referrals=int(total or 0),
        offered=int(offered or 0),
        engaged=int(engaged or 0),
        community_arranged=int(arranged or 0),
        community_engaged=int(community_engaged or 0),
    )


async def caseload(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """The active caseload at the end of the period, by where support is happening.

    Each episode's phase at that moment is its latest phase change before it (so a report on
    a past period shows the caseload as it was then). Open episodes in ``community`` are
    supported in the community; in ``in_custody_support`` or ``pre_liberation`` in the prison;
    in ``assessment`` in the process of assessment. An episode still at ``referral`` is
    awaiting a decision and not yet in the caseload.
    """
    ranked = (
        select(
            PhaseChange.episode_id,
            PhaseChange.to_phase,
            func.row_number()
            .over(
                partition_by=PhaseChange.episode_id,
                order_by=(PhaseChange.changed_at.desc(), PhaseChange.created_at.desc()),
            )
            .label("rank"),
        )
        .where(PhaseChange.tenant_id == scope.tenant_id, PhaseChange.changed_at < scope.end_at)
        .subquery()
    )
    stmt = (
        select(ranked.c.to_phase, func.count())
        .join(
            Episode,
            and_(Episode.tenant_id == scope.tenant_id, Episode.id == ranked.c.episode_id),
        )
        .where(ranked.c.rank == 1)
        .group_by(ranked.c.to_phase)
    )
    if scope.organisation_id is not None:
        stmt = stmt.where(Episode.lead_organisation_id == scope.organisation_id)
    by_phase = {phase: int(n) for phase, n in (await session.execute(stmt)).all()}
    return {
        group: sum(by_phase.get(phase, 0) for phase in phases)
        for group, phases in CASELOAD_GROUPS.items()
    }


@dataclass(frozen=True)
class DomainChange:
    improved: int
    same: int
    worse: int


async def distance_travelled(
    session: AsyncSession, scope: Scope
) -> tuple[int, dict[str, DomainChange]]:
    """People with at least two outcome reviews dated in the period, and per domain how many
    scored better (higher), the same or worse at their latest review than at their first."""
    domain_columns = [getattr(OutcomeReview, d) for d in DOMAINS]
    base = select(
        OutcomeReview.person_id,
        *domain_columns,
        func.row_number()
        .over(
            partition_by=OutcomeReview.person_id,
            order_by=(OutcomeReview.reviewed_on, OutcomeReview.created_at),
        )
        .label("first_rank"),
        func.row_number()
        .over(
            partition_by=OutcomeReview.person_id,
            order_by=(OutcomeReview.reviewed_on.desc(), OutcomeReview.created_at.desc()),
        )
        .label("last_rank"),
        func.count().over(partition_by=OutcomeReview.person_id).label("reviews"),
    ).where(
        OutcomeReview.tenant_id == scope.tenant_id,
        OutcomeReview.reviewed_on >= scope.start,
        OutcomeReview.reviewed_on <= scope.end,
    )
    if scope.organisation_id is not None:
        base = base.where(OutcomeReview.organisation_id == scope.organisation_id)
    ranked = base.subquery()
    first = ranked.alias("first_review")
    last = ranked.alias("last_review")
    columns: list[Any] = [func.count()]
    for domain in DOMAINS:
        columns += [
            _count_if(last.c[domain] > first.c[domain]),
            _count_if(last.c[domain] == first.c[domain]),
            _count_if(last.c[domain] < first.c[domain]),
        ]
    row = (
        await session.execute(
            select(*columns)
            .select_from(first)
            .join(last, last.c.person_id == first.c.person_id)
            .where(first.c.first_rank == 1, last.c.last_rank == 1, first.c.reviews >= 2)
        )
    ).one()
    values = [int(v) for v in row]
    changes = {
        domain: DomainChange(*values[1 + 3 * i : 4 + 3 * i]) for i, domain in enumerate(DOMAINS)
    }
    return values[0], changes


@dataclass(frozen=True)
class Wait:
    received_at: datetime
    assessment_due_on: date
    assessed_at: datetime


async def waits(session: AsyncSession, scope: Scope) -> tuple[list[Wait], int]:
    """For referrals received in the period: each one's first initial assessment before
    the period ended (no person is named: only the times), and how many not declined are still
    waiting for one at the period's end."""
    referrals = referrals_in(scope).subquery()
    assessed = (
        select(Assessment.referral_id, func.min(Assessment.completed_at).label("assessed_at"))
        .where(
            Assessment.tenant_id == scope.tenant_id,
            Assessment.kind.in_(INITIAL_KINDS),
            Assessment.referral_id.is_not(None),
            Assessment.completed_at < scope.end_at,
        )
        .group_by(Assessment.referral_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(
                referrals.c.received_at, referrals.c.assessment_due_on, assessed.c.assessed_at
            ).join(assessed, assessed.c.referral_id == referrals.c.id)
        )
    ).all()
    waiting = await session.scalar(
        select(func.count())
        .select_from(referrals)
        .outerjoin(assessed, assessed.c.referral_id == referrals.c.id)
        .where(
            assessed.c.referral_id.is_(None),
            (referrals.c.decision.is_(None)) | (referrals.c.decision != ReferralDecision.DECLINED),
        )
    )
    # SQLite hands back the aggregate's raw value: normalise to an aware UTC time.
    out = []
    for received_at, due, assessed_at in rows:
        out.append(Wait(received_at, due, _aware(assessed_at)))
    return out, int(waiting or 0)


def _aware(value: Any) -> datetime:
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
