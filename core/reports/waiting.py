"""Waiting times: referral to comprehensive assessment, against the five-working-day and
DAISy (three-week) standards.
"""

from __future__ import annotations

import statistics

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

WITHIN_WORKING_DAYS = 5  # the comprehensive assessment standard (assessment_due_on)
DAISY_DAYS = 21  # Scotland's DAISy standard: seen within three weeks of referral


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
            row("assessed", "Referrals assessed", published[3]),
            row("median_days", "Median days from referral to assessment", median),
            row(
                "within_5_working_days",
                "Assessed within 5 working days",
                published[0],
                figures.percent(published[0], published[3], (within_five, seen)),
            ),
            row(
                "within_3_weeks",
                "Assessed within 3 weeks (DAISy standard)",
                published[4],
                figures.percent(published[4], published[3], (within_three_weeks, seen)),
            ),
            row(
                "over_3_weeks",
                "Assessed after more than 3 weeks",
                published[2],
                figures.percent(published[2], published[3], (over, seen)),
            ),
            row(
                "still_waiting",
                "Not declined and still waiting at the end of the period",
                figures.single(still_waiting),
            ),
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
