"""The six-monthly report job: stored once per tenant and period, listed for the lead and
downloadable; the job is a plain arq function run here with a small ``ctx``."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from sqlalchemy import func, select

from core import clock
from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.plugins import get_plugin_manager
from core.reports.jobs import SCHEDULE, generate_six_monthly_report
from core.reports.models import ReportRun
from core.reports.services import half_year_of, last_complete_half_year
from tests.core.test_referrals import db, tenant_id
from tests.core.test_reports import Records, at

RUNS = "/api/v1/t/low-moss/reports/runs"


def test_the_half_years_follow_the_financial_year():
    assert half_year_of(date(2026, 4, 1)) == (date(2026, 4, 1), date(2026, 9, 30))
    assert half_year_of(date(2027, 3, 31)) == (date(2026, 10, 1), date(2027, 3, 31))
    assert last_complete_half_year(date(2026, 11, 23)) == (date(2026, 4, 1), date(2026, 9, 30))
    assert last_complete_half_year(date(2026, 4, 1)) == (date(2025, 10, 1), date(2026, 3, 31))


def test_the_job_is_contributed_and_scheduled_through_the_hooks():
    pm = get_plugin_manager()
    jobs = [job for answer in pm.hook.register_jobs() for job in answer]
    assert generate_six_monthly_report in jobs
    schedules = [s for answer in pm.hook.register_schedules() for s in answer]
    assert SCHEDULE in schedules and SCHEDULE.job == "generate_six_monthly_report"


async def run_job(world, slug: str = "low-moss", today: str | None = "2026-11-23") -> str:
    engine = make_engine(world.settings.db)
    try:
        ctx = {"session_factory": make_session_factory(engine)}
        # As arq hands it over after msgpack: the tenant id as a string.
        return await generate_six_monthly_report(ctx, str(tenant_id(world, slug)), today)
    finally:
        await engine.dispose()


async def test_the_job_stores_one_run_per_period_however_often_it_runs(world):
    records = Records(world)
    for day in (date(2026, 5, 4), date(2026, 6, 8), date(2026, 9, 30)):
        records.referral(records.person(), at(day, 12), source="self", decision="full_support")
    records.referral(records.person(), at(date(2026, 10, 1), 9))  # the next half-year
    await records.save()

    first = await run_job(world)
    second = await run_job(world)
    assert first == second
    async with db(world) as session:
        runs = (await session.scalars(select(ReportRun))).all()
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "report", AuditEvent.record_type == "report_run")
        )
    assert len(runs) == 1 and audited == 1
    run = runs[0]
    assert (run.period_start, run.period_end) == (date(2026, 4, 1), date(2026, 9, 30))
    assert "six-monthly report" in run.title
    rows = {(r[0], r[1], r[2]): r for r in csv.reader(io.StringIO(run.csv))}
    # Three referrals in the half-year: published, like any small count, as "<5".
    assert rows[("snapshot", "referrals", "referrals")][4] == "<5"
    assert "Person" not in run.html and "&lt;5" in run.html

    # A later half-year is a new run; the earlier one stays.
    later = await run_job(world, today="2027-04-02")
    assert later != first
    listed = await world.get("lm_lead", RUNS)
    assert listed.status_code == 200
    assert [r["period_start"] for r in listed.json()] == ["2026-10-01", "2026-04-01"]


async def test_the_lead_downloads_a_run_and_others_cannot(world):
    run_id = await run_job(world)
    html = await world.get("lm_lead", f"{RUNS}/{run_id}")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "attachment" in html.headers["content-disposition"]
    assert "Partnership snapshot" in html.text
    as_csv = await world.get("lm_analyst", f"{RUNS}/{run_id}", params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.text.startswith("section,table,measure,label,value,percent")
    assert (await world.get("lm_worker", f"{RUNS}/{run_id}")).status_code == 403
    assert (await world.get("lm_worker", RUNS)).status_code == 403
    # Another partnership's users see nothing of it, and its own runs are its own.
    assert (await world.get("lc_worker", f"{RUNS}/{run_id}")).status_code == 404
    leicester_run = await run_job(world, "leicester")
    response = await world.get("lm_lead", f"{RUNS}/{leicester_run}")
    assert response.status_code == 404
    assert (await world.get("lm_lead", f"{RUNS}/{uuid.uuid4()}")).status_code == 404


async def test_without_a_date_the_job_reads_the_reminder_clock(world):
    with clock.moved(to=date(2027, 4, 2)):
        run_id = await run_job(world, today=None)
    async with db(world) as session:
        run = await session.get(ReportRun, (tenant_id(world, "low-moss"), uuid.UUID(run_id)))
    assert (run.period_start, run.period_end) == (date(2026, 10, 1), date(2027, 3, 31))


async def test_the_lead_can_store_the_report_now_once(world):
    with clock.moved(to=date(2026, 11, 23)):
        first = await world.post("lm_lead", RUNS)
        again = await world.post("lm_lead", RUNS)
        analyst = await world.post("lm_analyst", RUNS)
        worker = await world.post("lm_worker", RUNS)
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert first.json()["period_start"] == "2026-04-01"
    assert first.json()["created_by"] == str(world.users["lm_lead"].id)
    assert analyst.status_code == 403 and worker.status_code == 403
    # The night's job finds it stored and adds nothing.
    assert await run_job(world) == first.json()["id"]
