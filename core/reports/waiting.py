"""Waiting times: referral to initial assessment against the five-working-day standard, and
the nation's treatment standard: DAISy's referral to first treatment in Scotland, continuity
of care after release in England and Wales.
"""

from __future__ import annotations

import statistics

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.referrals.services import local_date
from core.reports import queries
from core.reports.figures import Figures, row
from core.reports.queries import Scope
from core.reports.schemas import (
    ReportPeriod,
    ReportSection,
    ReportTable,
)
from core.reports.suppression import (
    SECONDARY,
    THRESHOLD,
    Line,
)
from core.reports.treatment_waits import (
    DAISY_DAYS,
    Continuity,
    FirstTreatment,
    continuity_of_care,
    first_treatment,
)
from core.tenancy.models import Nation, Tenant

WITHIN_WORKING_DAYS = 5  # the initial (triage) assessment standard (assessment_due_on)


def waiting_table(waits: list[queries.Wait], still_waiting: int, figures: Figures) -> ReportTable:
    """Referral to initial assessment (screening, or a comprehensive assessment recorded
    first).

    * Days are calendar days between the referral's date and the assessment's date (UK
      time); the median is over the referrals assessed.
    * Within 5 working days: assessed on or before the referral's ``assessment_due_on``,
      which was set when it was received, in the partnership's nation's calendar (bank
      holidays excluded).
    """
    within_five = 0
    days: list[int] = []
    for wait in waits:
        assessed_on = local_date(wait.assessed_at)
        days.append((assessed_on - local_date(wait.received_at)).days)
        within_five += assessed_on <= wait.assessment_due_on
    seen = len(waits)
    late = seen - within_five
    values = [within_five, late, seen]
    published = figures.table(values, [Line((0, 1), 2)])
    median: float | str | None
    if not days:
        median = None
    elif figures.suppressed and (isinstance(published[2], str) or seen < THRESHOLD):
        median = SECONDARY  # a median of a handful of people is nearly a person's wait
    else:
        median = float(statistics.median(days))
    return ReportTable(
        key="waiting_times",
        title="Waiting times: referral to initial assessment",
        percent_of="referrals assessed",
        rows=[
            row("assessed", "Referrals with an initial assessment", published[2]),
            row("median_days", "Median days from referral to initial assessment", median),
            row(
                "within_5_working_days",
                "Initial assessment within 5 working days",
                published[0],
                figures.percent(published[0], published[2], (within_five, seen)),
            ),
            row(
                "later",
                "Initial assessment after 5 working days",
                published[1],
                figures.percent(published[1], published[2], (late, seen)),
            ),
            row(
                "still_waiting",
                "Not declined and still waiting at the end of the period",
                figures.single(still_waiting),
            ),
        ],
    )


def first_treatment_table(waits: FirstTreatment, figures: Figures) -> ReportTable:
    """Scotland's DAISy standard: referral to first treatment within three weeks."""
    started = len(waits.started)
    within = sum(1 for d in waits.started if d <= DAISY_DAYS)
    values = [within, started - within, started]
    published = figures.table(values, [Line((0, 1), 2)])
    return ReportTable(
        key="first_treatment",
        title="Referral to first treatment (DAISy standard: within 3 weeks)",
        percent_of="referrals whose treatment started",
        rows=[
            row("started", "Referrals whose first treatment started", published[2]),
            row(
                "within_3_weeks",
                "First treatment within 3 weeks of referral",
                published[0],
                figures.percent(published[0], published[2], (within, started)),
            ),
            row(
                "over_3_weeks",
                "First treatment more than 3 weeks after referral",
                published[1],
                figures.percent(published[1], published[2], (started - within, started)),
            ),
            row(
                "not_started",
                "Not declined and no treatment started by the end of the period",
                figures.single(waits.waiting),
            ),
        ],
    )


def continuity_table(measure: Continuity, figures: Figures) -> ReportTable:
    """England's continuity of care after release (Public Health Outcomes Framework)."""
    total, engaged = measure.released_in_treatment, measure.engaged_within
    published = figures.table([engaged, total - engaged, total], [Line((0, 1), 2)])
    return ReportTable(
        key="continuity_of_care",
        title="Continuity of care: community treatment within 21 days of release",
        percent_of="people released while in treatment",
        rows=[
            row("released_in_treatment", "People released while in treatment", published[2]),
            row(
                "engaged_within_21_days",
                "Attended community treatment within 21 days of release",
                published[0],
                figures.percent(published[0], published[2], (engaged, total)),
            ),
            row(
                "not_engaged",
                "No community treatment attended within 21 days",
                published[1],
                figures.percent(published[1], published[2], (total - engaged, total)),
            ),
        ],
    )


async def waiting_section(
    session: AsyncSession, scope: Scope, period: ReportPeriod, figures: Figures
) -> ReportSection:
    waits, still_waiting = await queries.waits(session, scope)
    tables = [waiting_table(waits, still_waiting, figures)]
    definitions = [
        "Initial assessment: the specification's triage, due within 5 working days of "
        "referral. Counted for referrals received in the period with a screening (or a "
        "comprehensive assessment recorded first) completed before the period ended. A "
        "comprehensive assessment is only for those who need structured treatment, so a "
        "brief intervention is never counted as late for lacking one.",
        "Within 5 working days: on or before the due date set at referral in the "
        "nation's calendar (weekends and bank holidays excluded).",
    ]
    nation = await session.scalar(select(Tenant.nation).where(Tenant.id == scope.tenant_id))
    if nation == Nation.SCOTLAND:
        tables.append(first_treatment_table(await first_treatment(session, scope), figures))
        definitions.append(
            "Referral to first treatment (DAISy): calendar days from the referral's date to "
            "the start of the first treatment modality on or after it; within 3 weeks is 21 "
            "days or fewer. Shown for Scottish partnerships only."
        )
    else:
        tables.append(continuity_table(await continuity_of_care(session, scope), figures))
        definitions.append(
            "Continuity of care (the Public Health Outcomes Framework indicator; nationally "
            "about 30%): of people released in the period while a treatment modality was "
            "open, the share with an attended community treatment appointment from an "
            "onward referral, on the day of release up to and including day 21."
        )
    return ReportSection(
        key="waiting_times",
        title="Waiting times",
        period=period,
        suppressed=figures.suppressed,
        tables=tables,
        definitions=definitions,
    )
