"""Reports for a partnership: queries → suppression → sections. Nothing here names or
identifies a person; every figure is a count over the case tables (see ``queries``).

Who may run them: whoever the sharing protocol gives the tenant-level ``reports`` permission
(the partnership lead and analysts in the templates). Everyone gets suppressed figures; the
lead alone may ask for exact ones (``exact=True``) for the partnership's own management.
Every run is audited.
"""

from __future__ import annotations

import logging
import statistics
import uuid
from collections.abc import Sequence
from datetime import date, timedelta

import pluggy
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.db.base import utcnow
from core.episodes.services import get_organisation_row
from core.errors import RuleViolation, not_found
from core.hooktypes import ReportMetric
from core.outcomes.models import DOMAINS
from core.plugins import tenant_hook
from core.referrals.services import local_date, local_today
from core.reports import queries
from core.reports.exports import report_csv, report_html
from core.reports.models import ReportRun
from core.reports.queries import Scope
from core.reports.schemas import (
    FullReport,
    MetricsSection,
    PluginMetric,
    ReportPeriod,
    ReportRow,
    ReportRunOut,
    ReportSection,
    ReportTable,
)
from core.reports.suppression import (
    SECONDARY,
    THRESHOLD,
    Figure,
    Line,
    Percent,
    exact_percent,
    percent,
    publish,
    suppress_single,
)
from core.tenancy.models import Tenant

log = logging.getLogger("throughcare.reports")

WITHIN_WORKING_DAYS = 5  # the comprehensive assessment standard (assessment_due_on)
DAISY_DAYS = 21  # Scotland's DAISy standard: seen within three weeks of referral
DOMAIN_LABELS = {d: d.replace("_", " ").capitalize() for d in DOMAINS}


# ----------------------------------------------------------------------------- periods


def half_year_of(day: date) -> tuple[date, date]:
    """The half of the financial year (April-September, October-March) holding ``day``."""
    if 4 <= day.month <= 9:
        return date(day.year, 4, 1), date(day.year, 9, 30)
    year = day.year if day.month >= 10 else day.year - 1
    return date(year, 10, 1), date(year + 1, 3, 31)


def last_complete_half_year(today: date) -> tuple[date, date]:
    start, _ = half_year_of(today)
    return half_year_of(start - timedelta(days=1))


# ----------------------------------------------------------------------------- access


async def report_access(access: Access, *, exact: bool) -> bool:
    """403 unless the protocol gives the actor ``reports``/``read`` (the partnership lead and
    analysts in the templates); True when the figures must be suppressed."""
    await access.require_tenant("reports", "read")
    # Exact figures are a lead's management view, never an analyst's: decided by role, as
    # the protocol has no finer permission than reading reports.
    if exact and not access.actor.has_role("partnership_lead"):
        raise PermissionDeniedException(
            detail="Exact figures are for the partnership lead; analysts see suppressed "
            "figures only",
            extra=[{"key": "exact", "message": "not allowed for this role"}],
        )
    return not exact


# ----------------------------------------------------------------------------- figures


class Figures:
    """Publishes raw counts: through suppression, or exactly for the lead's own view."""

    def __init__(self, suppressed: bool) -> None:
        self.suppressed = suppressed

    def table(self, values: Sequence[int], lines: Sequence[Line]) -> list[Figure]:
        return publish(values, lines) if self.suppressed else list(values)

    def single(self, value: int) -> Figure:
        return suppress_single(value) if self.suppressed else value

    def percent(self, numerator: Figure, denominator: Figure, raw: tuple[int, int]) -> Percent:
        if self.suppressed:
            return percent(numerator, denominator)
        return exact_percent(*raw)


def _row(key: str, label: str, value: Figure | float | None, pct: Percent = None) -> ReportRow:
    return ReportRow(key=key, label=label, value=value, percent=pct)


REFERRAL_PARTS = (
    ("full_support", "Full support package"),
    ("brief_intervention", "Brief intervention or duty support"),
    ("declined", "Offer declined"),
    ("undecided", "Awaiting a decision"),
)


def referral_tables(counts: queries.ReferralCounts, figures: Figures) -> list[ReportTable]:
    """Decisions and self-referrals share the referral total, so they are suppressed as one
    table (two lines adding up to the same total) and cannot be played off each other."""
    parts = [getattr(counts, key) for key, _ in REFERRAL_PARTS]
    others = counts.total - counts.self_referrals
    values = [*parts, counts.self_referrals, others, counts.total]
    n = len(parts)
    total_at = n + 2
    lines = [Line(tuple(range(n)), total_at), Line((n, n + 1), total_at)]
    published = figures.table(values, lines)
    total = published[total_at]
    raw_total = counts.total
    decisions = ReportTable(
        key="referrals",
        title="Referrals received",
        percent_of="referrals received",
        rows=[
            _row("referrals", "Referrals received", total),
            *(
                _row(key, label, published[i], figures.percent(published[i], total, (v, raw_total)))
                for i, ((key, label), v) in enumerate(zip(REFERRAL_PARTS, parts, strict=True))
            ),
        ],
    )
    sources = ReportTable(
        key="self_referrals",
        title="Self-referrals",
        percent_of="referrals received",
        rows=[
            _row(
                "self",
                "Self-referrals",
                published[n],
                figures.percent(published[n], total, (counts.self_referrals, raw_total)),
            ),
            _row(
                "other",
                "Referred by staff or partners",
                published[n + 1],
                figures.percent(published[n + 1], total, (others, raw_total)),
            ),
        ],
    )
    return [decisions, sources]


CASELOAD_LABELS = {
    "community": "Supported in the community",
    "prison": "Supported within the prison",
    "assessment": "In the process of assessment",
}


def caseload_table(counts: dict[str, int], figures: Figures) -> ReportTable:
    keys = list(queries.CASELOAD_GROUPS)
    values = [counts[k] for k in keys] + [sum(counts.values())]
    published = figures.table(values, [Line(tuple(range(len(keys))), len(keys))])
    total = published[-1]
    raw_total = values[-1]
    return ReportTable(
        key="caseload",
        title="Active caseload at the end of the period",
        percent_of="active caseload",
        rows=[
            _row("caseload", "Active caseload", total),
            *(
                _row(
                    k,
                    CASELOAD_LABELS[k],
                    published[i],
                    figures.percent(published[i], total, (values[i], raw_total)),
                )
                for i, k in enumerate(keys)
            ),
        ],
    )


def outcomes_table(
    people: int, changes: dict[str, queries.DomainChange], figures: Figures
) -> ReportTable:
    """Every domain's improved + same + worse adds up to the same people: one total, seven
    lines, suppressed together."""
    values = [people]
    lines = []
    for domain in DOMAINS:
        change = changes[domain]
        first = len(values)
        values += [change.improved, change.same, change.worse]
        lines.append(Line((first, first + 1, first + 2), 0))
    published = figures.table(values, lines)
    rows = [_row("people", "People with two or more reviews in the period", published[0])]
    for i, domain in enumerate(DOMAINS):
        for j, (what, label) in enumerate(
            (
                ("improved", "better than"),
                ("same", "the same as"),
                ("worse", "worse than"),
            )
        ):
            at = 1 + 3 * i + j
            rows.append(
                _row(
                    f"{domain}.{what}",
                    f"{DOMAIN_LABELS[domain]}: latest review {label} the first",
                    published[at],
                    figures.percent(published[at], published[0], (values[at], people)),
                )
            )
    return ReportTable(
        key="outcomes",
        title="Distance travelled: latest outcome review against the first",
        percent_of="people with two or more reviews",
        rows=rows,
    )


def waiting_table(waits: list[queries.Wait], still_waiting: int, figures: Figures) -> ReportTable:
    """Referral to comprehensive assessment.

    * Days are calendar days between the referral's date and the assessment's date (UK
      time); the median is over the referrals assessed.
    * Within 5 working days: assessed on or before the referral's ``assessment_due_on``,
      which was set when it was received, in the partnership's nation's calendar (bank
      holidays excluded).
    * Within 3 weeks (DAISy): assessed within 21 days of the referral.
    """
    within_five = within_three_weeks = 0
    days: list[int] = []
    for wait in waits:
        assessed_on = local_date(wait.assessed_at)
        waited = (assessed_on - local_date(wait.received_at)).days
        days.append(waited)
        within_five += assessed_on <= wait.assessment_due_on
        within_three_weeks += waited <= DAISY_DAYS
    seen = len(waits)
    later = within_three_weeks - within_five
    over = seen - within_three_weeks
    # seen = w5 + later + over; seen = w3 + over; w3 = w5 + later.
    values = [within_five, later, over, seen, within_three_weeks]
    lines = [Line((0, 1, 2), 3), Line((4, 2), 3), Line((0, 1), 4)]
    published = figures.table(values, lines)
    median: float | str | None
    if not days:
        median = None
    elif figures.suppressed and (isinstance(published[3], str) or seen < THRESHOLD):
        median = SECONDARY  # a median of a handful of people is nearly a person's wait
    else:
        median = float(statistics.median(days))
    return ReportTable(
        key="waiting_times",
        title="Waiting times: referral to comprehensive assessment",
        percent_of="referrals assessed",
        rows=[
            _row("assessed", "Referrals assessed", published[3]),
            _row("median_days", "Median days from referral to assessment", median),
            _row(
                "within_5_working_days",
                "Assessed within 5 working days",
                published[0],
                figures.percent(published[0], published[3], (within_five, seen)),
            ),
            _row(
                "within_3_weeks",
                "Assessed within 3 weeks (DAISy standard)",
                published[4],
                figures.percent(published[4], published[3], (within_three_weeks, seen)),
            ),
            _row(
                "over_3_weeks",
                "Assessed after more than 3 weeks",
                published[2],
                figures.percent(published[2], published[3], (over, seen)),
            ),
            _row(
                "still_waiting",
                "Not declined and still waiting at the end of the period",
                figures.single(still_waiting),
            ),
        ],
    )


# ----------------------------------------------------------------------------- sections

KPI_DEFINITIONS = [
    "Referrals: referrals received in the period.",
    "Offered the service: people with a referral in the period on which a decision was "
    "recorded (full support, brief intervention, or declined: a declined offer was still "
    "offered).",
    "Engaged: of those offered, people whose referral in the period was accepted and who "
    "had at least one intervention logged at or after the decision, before the period ended.",
    "Community treatment arranged on release: people whose recovery plan was handed over to "
    "a community provider in the period (the record has no separate 'arranged' fact; the "
    "handover on release is the arrangement).",
    "Engaged with community treatment after release: of those, people with a "
    "community-setting intervention at or after the handover, before the period ended.",
    "Outcome measures: see the outcomes section (distance travelled on the seven domains).",
]


async def kpi_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    counts = await queries.kpi_counts(session, scope)
    referral = await queries.referral_counts(session, scope)
    shared_total = referral_tables(referral, figures)[0].rows[0].value
    offered = figures.single(counts.offered)
    engaged = figures.single(counts.engaged)
    arranged = figures.single(counts.community_arranged)
    community = figures.single(counts.community_engaged)
    table = ReportTable(
        key="kpis",
        title="Service specification KPIs",
        rows=[
            _row("referrals", "Referrals into the service", shared_total),
            _row("offered", "People offered the service", offered),
            _row(
                "engaged",
                "People offered the service who engaged in an intervention",
                engaged,
                figures.percent(engaged, offered, (counts.engaged, counts.offered)),
            ),
            _row("community_arranged", "People with community treatment arranged", arranged),
            _row(
                "community_engaged",
                "People who engaged with community treatment after release",
                community,
                figures.percent(
                    community, arranged, (counts.community_engaged, counts.community_arranged)
                ),
            ),
        ],
        note="'engaged' is a percentage of those offered; 'engaged with community "
        "treatment' of those with it arranged.",
    )
    return ReportSection(
        key="kpis",
        title="Service specification KPIs",
        period=period,
        suppressed=figures.suppressed,
        tables=[table],
        definitions=KPI_DEFINITIONS,
    )


async def snapshot_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    referral = await queries.referral_counts(session, scope)
    caseload = await queries.caseload(session, scope)
    return ReportSection(
        key="snapshot",
        title="Partnership snapshot",
        period=period,
        suppressed=figures.suppressed,
        tables=[*referral_tables(referral, figures), caseload_table(caseload, figures)],
        definitions=[
            "Referrals received in the period, by the decision recorded on each.",
            "Active caseload: open episodes at the end of the period, by their phase then: "
            "community; in-custody support or pre-liberation (the prison); assessment.",
            "Self-referrals: referrals in the period whose source is the person themself.",
        ],
    )


async def outcomes_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    people, changes = await queries.distance_travelled(session, scope)
    return ReportSection(
        key="outcomes",
        title="Outcomes: distance travelled",
        period=period,
        suppressed=figures.suppressed,
        tables=[outcomes_table(people, changes, figures)],
        definitions=[
            "People with at least two outcome reviews dated in the period; on each domain, "
            "their latest review in the period against their first (higher is better).",
        ],
    )


async def waiting_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    waits, still_waiting = await queries.waits(session, scope)
    return ReportSection(
        key="waiting_times",
        title="Waiting times",
        period=period,
        suppressed=figures.suppressed,
        tables=[waiting_table(waits, still_waiting, figures)],
        definitions=[
            "Referrals received in the period with a comprehensive assessment completed "
            "before the period ended.",
            "Within 5 working days: on or before the due date set at referral in the "
            "nation's calendar (weekends and bank holidays excluded).",
            "Within 3 weeks: Scotland's DAISy standard, 21 calendar days.",
        ],
    )


SECTIONS = {
    "kpis": kpi_section,
    "snapshot": snapshot_section,
    "outcomes": outcomes_section,
    "waiting_times": waiting_section,
}


async def plugin_metrics(
    session: AsyncSession,
    pm: pluggy.PluginManager,
    enabled: Sequence[str],
    scope: Scope,
    figures: Figures,
) -> list[PluginMetric]:
    """Figures from the tenant's enabled plugins. A plugin that fails (in the hook or in a
    metric's ``compute``) is shown as unavailable; the report itself never fails for it."""
    caller = tenant_hook(pm, "register_report_metrics", enabled)
    out: list[PluginMetric] = []
    for impl in caller.get_hookimpls():
        try:
            metrics: list[ReportMetric] = list(impl.function() or [])
        except Exception:
            log.exception("plugin %s failed to list its report metrics", impl.plugin_name)
            continue
        for metric in metrics:
            value: Figure | None
            try:
                # A savepoint: a failing metric's SQL must not poison the report's session.
                async with session.begin_nested():
                    raw = int(
                        await metric.compute(session, scope.tenant_id, scope.start, scope.end)
                    )
                if raw < 0:
                    raise ValueError("a count cannot be negative")
                value, available = figures.single(raw), True
            except Exception:
                log.exception("report metric %s of %s failed", metric.key, impl.plugin_name)
                value, available = None, False
            out.append(
                PluginMetric(
                    key=metric.key,
                    label=metric.label,
                    section=metric.section,
                    plugin=impl.plugin_name,
                    value=value,
                    available=available,
                )
            )
    return out


class ReportService:
    def __init__(self, session: AsyncSession, access: Access, pm: pluggy.PluginManager) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor
        self.pm = pm

    async def _scope(
        self, start: date | None, end: date | None, organisation_id: uuid.UUID | None
    ) -> tuple[Scope, ReportPeriod]:
        today = local_today()
        end = end or today
        start = start or half_year_of(end)[0]
        if start > end:
            raise RuleViolation("The period's start must not be after its end", field="start")
        name = None
        if organisation_id is not None:
            name = (await get_organisation_row(self.session, self.actor, organisation_id)).name
        scope = Scope(self.actor.tenant_id, start, end, organisation_id)
        return scope, ReportPeriod(start, end, organisation_id, name)

    def _audit(self, report: str, period: ReportPeriod, suppressed: bool) -> None:
        record(
            self.session,
            self.actor,
            "report",
            "report",
            detail={
                "report": report,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "organisation_id": str(period.organisation_id) if period.organisation_id else None,
                "suppressed": suppressed,
            },
        )

    async def section(
        self,
        key: str,
        *,
        start: date | None,
        end: date | None,
        organisation_id: uuid.UUID | None,
        exact: bool,
    ) -> ReportSection:
        figures = Figures(await report_access(self.access, exact=exact))
        scope, period = await self._scope(start, end, organisation_id)
        section = await SECTIONS[key](self.session, scope, period, figures)
        self._audit(key, period, figures.suppressed)
        await self.session.commit()
        return section

    async def metrics(
        self,
        *,
        start: date | None,
        end: date | None,
        organisation_id: uuid.UUID | None,
        exact: bool,
    ) -> MetricsSection:
        figures = Figures(await report_access(self.access, exact=exact))
        scope, period = await self._scope(start, end, organisation_id)
        metrics = await plugin_metrics(
            self.session, self.pm, self.actor.enabled_plugins, scope, figures
        )
        self._audit("metrics", period, figures.suppressed)
        await self.session.commit()
        return MetricsSection(period=period, suppressed=figures.suppressed, metrics=metrics)

    async def full(
        self,
        *,
        start: date | None,
        end: date | None,
        organisation_id: uuid.UUID | None,
        exact: bool,
    ) -> FullReport:
        figures = Figures(await report_access(self.access, exact=exact))
        scope, period = await self._scope(start, end, organisation_id)
        report = await build_full_report(
            self.session,
            self.pm,
            self.actor.enabled_plugins,
            scope,
            period,
            figures,
            tenant=self.actor.tenant_slug,
        )
        self._audit("full", period, figures.suppressed)
        await self.session.commit()
        return report

    async def generate(self) -> tuple[ReportRun, bool]:
        """The lead stores the last complete half-year's report now, rather than waiting
        for the night's job; the same once-per-period rule holds."""
        await report_access(self.access, exact=False)
        # A stored report is a write on behalf of the partnership: the lead's, not an analyst's.
        if not self.actor.has_role("partnership_lead"):
            raise PermissionDeniedException(
                detail="Only the partnership lead can generate the six-monthly report"
            )
        return await store_six_monthly_report(
            self.session,
            self.pm,
            self.actor.tenant_id,
            clock.today(),
            created_by=self.actor.user_id,
            actor=self.actor,
        )

    async def runs(self) -> list[ReportRunOut]:
        await report_access(self.access, exact=False)
        rows = (
            await self.session.scalars(
                select(ReportRun)
                .where(ReportRun.tenant_id == self.actor.tenant_id)
                .order_by(ReportRun.period_end.desc(), ReportRun.created_at.desc())
            )
        ).all()
        record(self.session, self.actor, "list", "report_run", detail={"returned": len(rows)})
        await self.session.commit()
        return [run_out(r) for r in rows]

    async def run(self, run_id: uuid.UUID) -> ReportRun:
        await report_access(self.access, exact=False)
        run = await self.session.get(ReportRun, (self.actor.tenant_id, run_id))
        if run is None:
            raise not_found("Report")
        record(self.session, self.actor, "report", "report_run", run.id, detail={"kind": run.kind})
        await self.session.commit()
        return run


def run_out(run: ReportRun) -> ReportRunOut:
    return ReportRunOut(
        id=run.id,
        kind=run.kind,
        title=run.title,
        period_start=run.period_start,
        period_end=run.period_end,
        created_at=run.created_at,
        created_by=run.created_by,
    )


async def build_full_report(
    session: AsyncSession,
    pm: pluggy.PluginManager,
    enabled: Sequence[str],
    scope: Scope,
    period: ReportPeriod,
    figures: Figures,
    *,
    tenant: str,
    title: str | None = None,
) -> FullReport:
    sections = [await build(session, scope, period, figures) for build in SECTIONS.values()]
    metrics = await plugin_metrics(session, pm, enabled, scope, figures)
    return FullReport(
        tenant=tenant,
        title=title or f"Partnership report {period.start.isoformat()} to {period.end.isoformat()}",
        period=period,
        suppressed=figures.suppressed,
        generated_at=utcnow(),
        sections=sections,
        metrics=metrics,
    )


SIX_MONTHLY = "six_monthly"


async def _stored_run(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> ReportRun | None:
    return await session.scalar(
        select(ReportRun).where(
            ReportRun.tenant_id == tenant_id,
            ReportRun.kind == SIX_MONTHLY,
            ReportRun.period_start == start,
            ReportRun.period_end == end,
        )
    )


async def store_six_monthly_report(
    session: AsyncSession,
    pm: pluggy.PluginManager,
    tenant_id: uuid.UUID,
    today: date,
    *,
    created_by: uuid.UUID | None,
    actor: Actor | None = None,
) -> tuple[ReportRun, bool]:
    """Store the report for the last complete half-year before ``today``, suppressed and
    anonymised, unless it is stored already. Returns the run and whether it is new; commits.

    Once per tenant and period: checked first, and guarded by the unique index, so two
    concurrent runs store one report and the loser returns the winner's.
    """
    start, end = last_complete_half_year(today)
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise ValueError(f"no tenant {tenant_id}")
    existing = await _stored_run(session, tenant_id, start, end)
    if existing is not None:
        return existing, False
    report = await build_full_report(
        session,
        pm,
        tenant.plugins,
        Scope(tenant_id, start, end),
        ReportPeriod(start=start, end=end),
        Figures(suppressed=True),
        tenant=tenant.slug,
        title=f"{tenant.name}: six-monthly report, {start.isoformat()} to {end.isoformat()}",
    )
    run = ReportRun(
        tenant_id=tenant_id,
        kind=SIX_MONTHLY,
        period_start=start,
        period_end=end,
        title=report.title,
        html=report_html(report),
        csv=report_csv(report),
        created_by=created_by,
    )
    session.add(run)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await _stored_run(session, tenant_id, start, end)
        if existing is None:
            raise
        return existing, False
    record(
        session,
        actor,
        "report",
        "report_run",
        run.id,
        tenant_id=tenant_id,
        detail={"kind": SIX_MONTHLY, "start": start.isoformat(), "end": end.isoformat()},
    )
    await session.commit()
    return run, True
