"""Reports over the public API: the Low Moss snapshot reproduced from case records, the
service specification's KPIs, distance travelled, waiting times across a bank holiday,
CSV/HTML/SVG exports, plugin metrics, who may see what, and tenancy."""

from __future__ import annotations

import csv
import io
import random
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from core.assessments.models import Assessment
from core.audit.models import AuditEvent
from core.episodes.models import Episode, PhaseChange
from core.hookspecs import hookimpl
from core.hooktypes import ReportMetric
from core.interventions.models import Intervention
from core.onward_referrals.models import OnwardReferral
from core.outcomes.models import DOMAINS, OutcomeReview
from core.persons.models import Person
from core.plans.models import RecoveryPlan
from core.referrals.models import Referral
from core.referrals.services import assessment_due_on
from core.tenancy.models import Tenant
from core.treatment.models import TreatmentModality
from tests.core.test_national_returns import add_leicester_lead
from tests.core.test_referrals import db, decide, make_person, move, refer, tenant_id

LM = "/api/v1/t/low-moss"
REPORTS = f"{LM}/reports"
TODAY = datetime.now(UTC).date()


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Records:
    """Case rows written straight to the database, for figures too many or too old to
    create through the API (the API cannot backdate a decision or a phase move). The
    report still reads them only through its endpoints."""

    def __init__(
        self, world: Any, tenant: str = "low-moss", org: str = "turning-point-scotland"
    ) -> None:
        self.world = world
        self.tenant_id = tenant_id(world, tenant)
        self.org = uuid.UUID(world.org_id(tenant, org))
        self.rows: list[Any] = []
        self.count = 0

    def person(self, released: date | None = None) -> uuid.UUID:
        self.count += 1
        person = Person(
            id=uuid.uuid4(),
            tenant_id=self.tenant_id,
            given_name="Report",
            family_name=f"Person{self.count}",
            sort_name=f"person{self.count} report",
            date_of_birth=date(1985, 1, 1),
            location="in_community" if released else "in_custody",
            liberation_date=released,
        )
        self.rows.append(person)
        return person.id

    def referral(
        self,
        person_id: uuid.UUID,
        received: datetime,
        *,
        source: str = "staff_concern",
        decision: str | None = None,
        decided: datetime | None = None,
        phases: tuple[tuple[str, datetime], ...] = (),
    ) -> Referral:
        episode = Episode(
            id=uuid.uuid4(),
            tenant_id=self.tenant_id,
            person_id=person_id,
            phase=phases[-1][0] if phases else "referral",
            opened_at=received,
            lead_organisation_id=self.org,
        )
        self.rows.append(episode)
        previous = None
        for phase, moment in (("referral", received), *phases):
            self.rows.append(
                PhaseChange(
                    tenant_id=self.tenant_id,
                    episode_id=episode.id,
                    from_phase=previous,
                    to_phase=phase,
                    changed_at=moment,
                )
            )
            previous = phase
        referral = Referral(
            id=uuid.uuid4(),
            tenant_id=self.tenant_id,
            person_id=person_id,
            episode_id=episode.id,
            source=source,
            received_at=received,
            assessment_due_on=assessment_due_on(received, "scotland"),
            decision=decision,
            decided_at=decided or (received + timedelta(days=1) if decision else None),
        )
        self.rows.append(referral)
        return referral

    def assessment(
        self, referral: Referral, completed: datetime, kind: str = "comprehensive"
    ) -> None:
        self.rows.append(
            Assessment(
                tenant_id=self.tenant_id,
                person_id=referral.person_id,
                episode_id=referral.episode_id,
                referral_id=referral.id,
                organisation_id=self.org,
                kind=kind,
                category="risk" if kind == "risk" else "substance_use",
                completed_at=completed,
                **(
                    {"risk_self_harm": "low", "risk_harm_to_others": "low", "risk_overdose": "low"}
                    if kind == "risk"
                    else {}
                ),
            )
        )

    def _episode_of(self, person_id: uuid.UUID) -> uuid.UUID:
        episodes = [r for r in self.rows if isinstance(r, Episode) and r.person_id == person_id]
        if episodes:
            return episodes[-1].id
        episode = Episode(
            id=uuid.uuid4(),
            tenant_id=self.tenant_id,
            person_id=person_id,
            phase="community",
            opened_at=at(date(2026, 1, 5)),
            lead_organisation_id=self.org,
        )
        self.rows.append(episode)
        return episode.id

    def modality(self, person_id: uuid.UUID, started: date, ended: date | None = None) -> None:
        self.rows.append(
            TreatmentModality(
                tenant_id=self.tenant_id,
                person_id=person_id,
                episode_id=self._episode_of(person_id),
                organisation_id=self.org,
                modality="psychosocial",
                started_on=started,
                ended_on=ended,
                exit_reason="completed_drug_free" if ended else None,
            )
        )

    def community_appointment(self, person_id: uuid.UUID, on: date) -> None:
        self.rows.append(
            OnwardReferral(
                tenant_id=self.tenant_id,
                person_id=person_id,
                episode_id=self._episode_of(person_id),
                organisation_id=self.org,
                service="community_treatment",
                category="substance_use",
                sent_on=on - timedelta(days=30),
                status="attended",
                status_on=on,
                appointment_on=on,
            )
        )

    def intervention(self, person_id: uuid.UUID, when: datetime, setting: str = "prison") -> None:
        self.rows.append(
            Intervention(
                tenant_id=self.tenant_id,
                person_id=person_id,
                organisation_id=self.org,
                kind="one_to_one",
                category="case_notes",
                setting=setting,
                occurred_at=when,
            )
        )

    def handover(self, referral: Referral, when: datetime) -> None:
        self.rows.append(
            RecoveryPlan(
                tenant_id=self.tenant_id,
                person_id=referral.person_id,
                episode_id=referral.episode_id,
                status="handed_over",
                handover_organisation_id=self.org,
                handed_over_at=when,
            )
        )

    def review(self, person_id: uuid.UUID, on: date, score: int | dict[str, int]) -> None:
        scores = score if isinstance(score, dict) else dict.fromkeys(DOMAINS, score)
        self.rows.append(
            OutcomeReview(
                tenant_id=self.tenant_id,
                person_id=person_id,
                organisation_id=self.org,
                reviewed_on=on,
                setting="prison",
                **scores,
            )
        )

    async def save(self) -> None:
        async with db(self.world) as session:
            # Parents first: persons, then episodes, then what hangs off them.
            order = [Person, Episode, PhaseChange, Referral]
            for kind in order:
                session.add_all([r for r in self.rows if isinstance(r, kind)])
                await session.flush()
            session.add_all([r for r in self.rows if not isinstance(r, tuple(order))])
            await session.commit()
        self.rows = []


def rows_of(section: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{t['key']}.{r['key']}": r for t in section["tables"] for r in t["rows"]}


async def report(world: Any, name: str, user: str = "lm_lead", **params: Any) -> dict[str, Any]:
    response = await world.get(user, f"{REPORTS}/{name}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------ the Low Moss snapshot

LOW_MOSS_REFERRALS = 571
LOW_MOSS_FULL = 206
LOW_MOSS_SELF = 325  # 57% of 571
LOW_MOSS_CASELOAD = {"community": 104, "prison": 78, "assessment": 16}
API_SHARE = 10  # people taken through the real API; the rest written as rows


async def test_a_partnership_built_like_low_moss_reports_its_published_figures(world):
    rng = random.Random(2015)
    specs = []
    phases = (
        ["community"] * LOW_MOSS_CASELOAD["community"]
        + ["in_custody_support", "pre_liberation"] * (LOW_MOSS_CASELOAD["prison"] // 2)
        + ["assessment"] * LOW_MOSS_CASELOAD["assessment"]
    )
    phases += ["closed"] * (LOW_MOSS_REFERRALS - len(phases))
    for i in range(LOW_MOSS_REFERRALS):
        specs.append(
            (
                "self" if i < LOW_MOSS_SELF else rng.choice(["staff_concern", "healthcare"]),
                "full_support" if i < LOW_MOSS_FULL else "brief_intervention",
            )
        )
    rng.shuffle(specs)
    rng.shuffle(phases)
    start = TODAY - timedelta(days=300)

    # A representative part through the API: person, referral, decision, phase moves.
    pathway = {
        "assessment": ["assessment"],
        "in_custody_support": ["assessment", "in_custody_support"],
        "pre_liberation": ["assessment", "in_custody_support", "pre_liberation"],
        "community": ["assessment", "in_custody_support", "pre_liberation", "community"],
        "closed": ["assessment", "closed"],
    }
    for (source, decision), phase in zip(specs[:API_SHARE], phases[:API_SHARE], strict=True):
        person = await make_person(world, family_name="Snapshot")
        referral = await refer(world, person, source=source)
        decided = await decide(world, referral["id"], decision)
        assert decided.status_code == 200, decided.text
        for step in pathway[phase]:
            moved = await move(world, referral["episode_id"], step)
            assert moved.status_code == 200, moved.text

    # The bulk as rows, received across the period, moved through their pathway in it.
    records = Records(world)
    for i, ((source, decision), phase) in enumerate(
        zip(specs[API_SHARE:], phases[API_SHARE:], strict=True)
    ):
        received = at(start + timedelta(days=1 + i % 280))
        steps = tuple(
            (step, received + timedelta(days=2 + k)) for k, step in enumerate(pathway[phase])
        )
        records.referral(records.person(), received, source=source, decision=decision, phases=steps)
    # Outside the period: neither counted as referrals nor (closed) in the caseload.
    records.referral(
        records.person(),
        at(start - timedelta(days=5)),
        source="self",
        decision="full_support",
        phases=(("assessment", at(start - timedelta(days=3))), ("closed", at(start))),
    )
    await records.save()

    snapshot = await report(world, "snapshot", start=start.isoformat(), end=TODAY.isoformat())
    assert snapshot["suppressed"] is True
    rows = rows_of(snapshot)
    assert rows["referrals.referrals"]["value"] == 571
    assert rows["referrals.full_support"]["value"] == 206
    assert rows["referrals.brief_intervention"]["value"] == 365
    assert rows["referrals.declined"]["value"] == 0
    assert rows["caseload.caseload"]["value"] == 198
    assert rows["caseload.community"]["value"] == 104
    assert rows["caseload.prison"]["value"] == 78
    assert rows["caseload.assessment"]["value"] == 16
    assert rows["self_referrals.self"]["value"] == 325
    assert rows["self_referrals.self"]["percent"] == 57

    # The analyst sees the same figures: none is small enough to suppress.
    analyst = rows_of(
        await report(
            world, "snapshot", "lm_analyst", start=start.isoformat(), end=TODAY.isoformat()
        )
    )
    assert analyst == rows


# ------------------------------------------------------------------ KPIs

PERIOD = {"start": (TODAY - timedelta(days=60)).isoformat(), "end": TODAY.isoformat()}


async def kpi_world(world: Any) -> None:
    """Four referrals in the period and one before it; two plans handed over."""
    records = Records(world)
    received = at(TODAY - timedelta(days=30))
    decided = received + timedelta(days=2)
    engaged = records.referral(records.person(), received, decision="full_support", decided=decided)
    records.intervention(engaged.person_id, decided + timedelta(days=1))
    records.handover(engaged, decided + timedelta(days=10))
    records.intervention(engaged.person_id, decided + timedelta(days=12), "community")
    # Brief intervention, but the only intervention came before the decision.
    brief = records.referral(
        records.person(), received, decision="brief_intervention", decided=decided
    )
    records.intervention(brief.person_id, decided - timedelta(hours=3))
    declined = records.referral(records.person(), received, decision="declined")
    records.intervention(declined.person_id, decided + timedelta(days=1))
    records.referral(records.person(), received)  # no decision yet: not offered
    old = records.referral(
        records.person(),
        at(TODAY - timedelta(days=90)),
        decision="full_support",
        decided=at(TODAY - timedelta(days=89)),
    )
    # Referred before the period, handed over in it with only a prison intervention since:
    # community treatment arranged, not engaged with.
    records.handover(old, decided + timedelta(days=5))
    records.intervention(old.person_id, decided + timedelta(days=6))
    await records.save()


async def test_kpis_count_offers_engagement_and_community_treatment(world):
    await kpi_world(world)
    exact = rows_of(await report(world, "kpis", exact="true", **PERIOD))
    assert exact["kpis.referrals"]["value"] == 4
    assert exact["kpis.offered"]["value"] == 3
    assert exact["kpis.engaged"]["value"] == 1
    assert exact["kpis.engaged"]["percent"] == 33
    assert exact["kpis.community_arranged"]["value"] == 2
    assert exact["kpis.community_engaged"]["value"] == 1
    assert exact["kpis.community_engaged"]["percent"] == 50

    suppressed = rows_of(await report(world, "kpis", "lm_analyst", **PERIOD))
    assert suppressed["kpis.referrals"]["value"] == "<5"
    assert suppressed["kpis.engaged"] == {
        "key": "engaged",
        "label": suppressed["kpis.engaged"]["label"],
        "value": "<5",
        "percent": "*",
    }


async def test_a_partner_filter_counts_only_that_partners_episodes(world):
    await kpi_world(world)
    sacro = world.org_id("low-moss", "sacro")
    rows = rows_of(await report(world, "kpis", exact="true", organisation_id=sacro, **PERIOD))
    assert rows["kpis.referrals"]["value"] == 0
    assert rows["kpis.offered"]["value"] == 0
    assert rows["kpis.engaged"]["percent"] is None
    elsewhere = world.org_id("leicester", "turning-point")
    response = await world.get(
        "lm_lead", f"{REPORTS}/kpis", params={"organisation_id": elsewhere, **PERIOD}
    )
    assert response.status_code == 404


async def test_a_period_that_ends_before_it_starts_is_refused(world):
    response = await world.get(
        "lm_lead", f"{REPORTS}/kpis", params={"start": "2026-06-02", "end": "2026-06-01"}
    )
    assert response.status_code == 422
    assert "start" in response.text


# ------------------------------------------------------------------ waiting times

WAIT_PERIOD = {"start": "2026-07-01", "end": "2026-08-31"}


async def test_waiting_times_count_working_days_in_scotlands_calendar(world):
    records = Records(world)
    # Wednesday 29 July 2026: Monday 3 August is Scotland's summer bank holiday (not
    # England's), so the five working days end on Thursday 6 August.
    wednesday = at(date(2026, 7, 29))
    assert assessment_due_on(wednesday, "scotland") == date(2026, 8, 6)
    assert assessment_due_on(wednesday, "england") == date(2026, 8, 5)
    cases = [
        (wednesday, date(2026, 8, 6)),  # 8 days, within 5 working days
        (wednesday, date(2026, 8, 7)),  # 9 days: one working day late, within 3 weeks
        (at(date(2026, 7, 1)), date(2026, 7, 25)),  # 24 days: over 3 weeks
        (at(date(2026, 7, 6)), date(2026, 7, 8)),  # 2 days
        (at(date(2026, 7, 10)), date(2026, 7, 31)),  # 21 days: just within 3 weeks
    ]
    for received, assessed in cases:
        referral = records.referral(records.person(), received, decision="full_support")
        records.assessment(referral, at(assessed, 14))
        # A second, later comprehensive assessment does not change the wait.
        records.assessment(referral, at(assessed + timedelta(days=30), 14))
    records.referral(records.person(), at(date(2026, 7, 15)))  # still waiting
    records.referral(records.person(), at(date(2026, 7, 16)), decision="declined")
    await records.save()

    rows = rows_of(await report(world, "waiting-times", exact="true", **WAIT_PERIOD))
    assert rows["waiting_times.assessed"]["value"] == 5
    assert rows["waiting_times.median_days"]["value"] == 9
    assert rows["waiting_times.within_5_working_days"]["value"] == 2
    assert rows["waiting_times.within_5_working_days"]["percent"] == 40
    assert rows["waiting_times.later"]["value"] == 3
    assert rows["waiting_times.still_waiting"]["value"] == 1
    # The 3-week standard is about treatment, not assessment.
    assert "waiting_times.within_3_weeks" not in rows

    analyst = rows_of(await report(world, "waiting-times", "lm_analyst", **WAIT_PERIOD))
    assert analyst["waiting_times.assessed"]["value"] == 5
    for key in ("within_5_working_days", "later"):
        assert analyst[f"waiting_times.{key}"]["value"] == "<5"
        assert analyst[f"waiting_times.{key}"]["percent"] == "*"


async def test_a_screening_meets_the_five_day_standard_and_a_brief_intervention_is_never_late(
    world,
):
    records = Records(world)
    monday = at(date(2026, 7, 6))
    screened = records.referral(records.person(), monday, decision="brief_intervention")
    records.assessment(screened, at(date(2026, 7, 8)), kind="screening")
    late = records.referral(records.person(), monday, decision="full_support")
    records.assessment(late, at(date(2026, 7, 20)), kind="screening")
    # A risk assessment is not the initial assessment: this one still waits.
    records.assessment(records.referral(records.person(), monday), at(date(2026, 7, 7)), "risk")
    await records.save()
    rows = rows_of(await report(world, "waiting-times", exact="true", **WAIT_PERIOD))
    assert rows["waiting_times.assessed"]["value"] == 2
    assert rows["waiting_times.within_5_working_days"]["value"] == 1
    assert rows["waiting_times.later"]["value"] == 1
    assert rows["waiting_times.still_waiting"]["value"] == 1


async def test_scotland_reports_referral_to_first_treatment_within_three_weeks(world):
    records = Records(world)
    cases = [  # referral date, first treatment start (None: not started)
        (date(2026, 7, 1), date(2026, 7, 22)),  # day 21: within
        (date(2026, 7, 1), date(2026, 7, 23)),  # day 22: over
        (date(2026, 7, 10), date(2026, 7, 13)),  # day 3
        (date(2026, 7, 20), None),  # not started
    ]
    for received, started in cases:
        person = records.person()
        records.referral(person, at(received), decision="full_support")
        # A modality before this referral belongs to an earlier one.
        records.modality(person, received - timedelta(days=200))
        if started is not None:
            records.modality(person, started)
            records.modality(person, started + timedelta(days=40))  # a later change
    await records.save()
    section = await report(world, "waiting-times", exact="true", **WAIT_PERIOD)
    rows = rows_of(section)
    assert rows["first_treatment.started"]["value"] == 3
    assert rows["first_treatment.within_3_weeks"]["value"] == 2
    assert rows["first_treatment.over_3_weeks"]["value"] == 1
    assert rows["first_treatment.not_started"]["value"] == 1
    assert "continuity_of_care.released_in_treatment" not in rows
    assert any("first treatment" in d for d in section["definitions"])


async def test_england_reports_continuity_of_care_within_21_days_of_release(world):
    records = Records(world, "leicester", "turning-point")
    released = date(2026, 7, 10)
    cases = [  # days after release of an attended community appointment (None: none)
        21,  # day 21: engaged
        22,  # day 22: not
        0,  # the day of release
        None,
    ]
    for days in cases:
        person = records.person(released=released)
        records.modality(person, released - timedelta(days=60))
        if days is not None:
            records.community_appointment(person, released + timedelta(days=days))
    # Released but not in treatment: not in the measure, whatever they attended.
    untreated = records.person(released=released)
    records.community_appointment(untreated, released + timedelta(days=2))
    # In treatment that ended before release: not in the measure either.
    ended = records.person(released=released)
    records.modality(ended, released - timedelta(days=90), ended=released - timedelta(days=30))
    await records.save()
    await add_leicester_lead(world)
    response = await world.get(
        "lc_lead",
        "/api/v1/t/leicester/reports/waiting-times",
        params={"exact": "true", **WAIT_PERIOD},
    )
    assert response.status_code == 200, response.text
    section = response.json()
    rows = rows_of(section)
    assert rows["continuity_of_care.released_in_treatment"]["value"] == 4
    assert rows["continuity_of_care.engaged_within_21_days"]["value"] == 2
    assert rows["continuity_of_care.engaged_within_21_days"]["percent"] == 50
    assert rows["continuity_of_care.not_engaged"]["value"] == 2
    assert "first_treatment.started" not in rows
    assert any("Public Health Outcomes Framework" in d for d in section["definitions"])


# ------------------------------------------------------------------ outcomes and exports


async def outcome_world(world: Any) -> None:
    records = Records(world)
    start = TODAY - timedelta(days=50)
    better, same, mixed, once = (records.person() for _ in range(4))
    records.review(better, start, 4)
    records.review(better, start + timedelta(days=20), 3)  # the middle one does not count
    records.review(better, start + timedelta(days=40), 7)
    records.review(same, start, 5)
    records.review(same, start + timedelta(days=30), 5)
    records.review(mixed, start, 6)
    records.review(
        mixed, start + timedelta(days=30), {**dict.fromkeys(DOMAINS, 4), "engagement": 9}
    )
    records.review(once, start, 1)
    records.review(better, start - timedelta(days=30), 10)  # before the period
    await records.save()


async def test_distance_travelled_compares_latest_review_with_first(world):
    await outcome_world(world)
    rows = rows_of(await report(world, "outcomes", exact="true", **PERIOD))
    assert rows["outcomes.people"]["value"] == 3
    assert rows["outcomes.criminal_activity.improved"]["value"] == 1
    assert rows["outcomes.criminal_activity.improved"]["percent"] == 33
    assert rows["outcomes.criminal_activity.same"]["value"] == 1
    assert rows["outcomes.criminal_activity.worse"]["value"] == 1
    assert rows["outcomes.engagement.improved"]["value"] == 2
    assert rows["outcomes.engagement.improved"]["percent"] == 67
    assert rows["outcomes.engagement.worse"]["value"] == 0


async def test_the_outcomes_chart_is_svg_with_a_bar_per_domain(world):
    await outcome_world(world)
    response = await world.get(
        "lm_lead", f"{REPORTS}/outcomes.svg", params={"exact": "true", **PERIOD}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(response.text)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Criminal activity" in texts and "33%" in texts and "67%" in texts
    analyst = await world.get("lm_analyst", f"{REPORTS}/outcomes.svg", params=PERIOD)
    assert "suppressed" in analyst.text and "33%" not in analyst.text


async def test_every_table_exports_as_csv(world):
    await kpi_world(world)
    for name in ("kpis", "snapshot", "outcomes", "waiting-times"):
        response = await world.get("lm_lead", f"{REPORTS}/{name}.csv", params=PERIOD)
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        lines = list(csv.reader(io.StringIO(response.text)))
        assert lines[0] == ["section", "table", "measure", "label", "value", "percent"]
        assert len(lines) > 2
    full = await world.get("lm_lead", f"{REPORTS}/report.csv", params={**PERIOD, "exact": "true"})
    table = {(r[0], r[1], r[2]): r for r in csv.reader(io.StringIO(full.text))}
    assert table[("kpis", "kpis", "offered")][4] == "3"
    assert table[("snapshot", "referrals", "referrals")][4] == "4"
    suppressed = await world.get("lm_analyst", f"{REPORTS}/report.csv", params=PERIOD)
    table = {(r[0], r[1], r[2]): r for r in csv.reader(io.StringIO(suppressed.text))}
    assert table[("kpis", "kpis", "offered")][4] == "<5"


class ProbePlugin:
    """A partner plugin contributing one good metric, one that fails, one hostile label."""

    @hookimpl
    def register_report_metrics(self) -> list[ReportMetric]:
        async def people_reviewed(session, tenant, start, end) -> int:
            return int(
                await session.scalar(
                    select(func.count(func.distinct(OutcomeReview.person_id))).where(
                        OutcomeReview.tenant_id == tenant,
                        OutcomeReview.reviewed_on >= start,
                        OutcomeReview.reviewed_on <= end,
                    )
                )
            )

        async def broken(session, tenant, start, end) -> int:
            await session.execute(
                select(func.count()).select_from(Person).where(Person.id == 1 / 0)
            )
            return 0

        async def big(session, tenant, start, end) -> int:
            return 12

        return [
            ReportMetric(
                key="reviewed", label="People reviewed", section="probe", compute=people_reviewed
            ),
            ReportMetric(key="broken", label="Broken", section="probe", compute=broken),
            ReportMetric(
                key="big", label="<script>alert(1)</script>", section="probe", compute=big
            ),
        ]


async def enable_probe(world: Any, slug: str = "low-moss") -> None:
    async with db(world) as session:
        tenant = await session.get(Tenant, tenant_id(world, slug))
        config = dict(tenant.config)
        config["plugins"] = [*config.get("plugins", []), "reports_probe"]
        await session.execute(update(Tenant).where(Tenant.id == tenant.id).values(config=config))
        await session.commit()


async def test_plugin_metrics_are_suppressed_and_a_failing_one_is_unavailable(world):
    await outcome_world(world)
    pm = world.client.app.state.plugin_manager
    pm.register(ProbePlugin(), name="reports_probe")
    try:
        # Not switched on for the partnership: not asked.
        before = (await report(world, "metrics", **PERIOD))["metrics"]
        assert [m for m in before if m["plugin"] == "reports_probe"] == []
        await enable_probe(world)
        metrics = {
            m["key"]: m
            for m in (await report(world, "metrics", **PERIOD))["metrics"]
            if m["plugin"] == "reports_probe"
        }
        assert metrics["reviewed"]["value"] == "<5" and metrics["reviewed"]["available"]
        assert metrics["broken"] == {**metrics["broken"], "value": None, "available": False}
        assert metrics["big"]["value"] == 12
        exact = await report(world, "metrics", exact="true", **PERIOD)
        probe = {m["key"]: m["value"] for m in exact["metrics"] if m["plugin"] == "reports_probe"}
        assert probe["reviewed"] == 4
        # The whole report still renders, the hostile label escaped.
        html = await world.get("lm_lead", f"{REPORTS}/report.html", params=PERIOD)
        assert html.status_code == 200
        assert "<script>" not in html.text and "&lt;script&gt;" in html.text
        assert "unavailable" in html.text
    finally:
        pm.unregister(name="reports_probe")


async def test_the_printable_report_holds_every_section_and_the_chart(world):
    await outcome_world(world)
    response = await world.get("lm_analyst", f"{REPORTS}/report.html", params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    for title in ("Service specification KPIs", "Partnership snapshot", "Waiting times"):
        assert title in text
    assert "<svg" in text and "&lt;5" in text
    assert "Person1" not in text  # nothing names a person


# ------------------------------------------------------------------ access and tenancy


async def test_only_the_lead_and_analysts_may_run_reports(world):
    for user in ("lm_worker", "lm_nurse", "lm_officer"):
        response = await world.get(user, f"{REPORTS}/snapshot")
        assert response.status_code == 403, user
    analyst = await world.get("lm_analyst", f"{REPORTS}/snapshot", params={"exact": "true"})
    assert analyst.status_code == 403
    assert "exact" in analyst.text
    assert (await report(world, "snapshot", "lm_analyst"))["suppressed"] is True
    assert (await report(world, "snapshot", "lm_lead", exact="true"))["suppressed"] is False
    async with db(world) as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "report").order_by(AuditEvent.at)
            )
        ).all()
    assert [(e.user_id, e.detail["report"], e.detail["suppressed"]) for e in events] == [
        (world.users["lm_analyst"].id, "snapshot", True),
        (world.users["lm_lead"].id, "snapshot", False),
    ]


async def test_another_partnership_gets_404(world):
    for path in ("snapshot", "report.csv", "runs"):
        response = await world.get("lc_worker", f"{REPORTS}/{path}")
        assert response.status_code == 404, path


async def test_the_reports_are_described_in_the_openapi_schema(world):
    response = await world.client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for name in ("kpis", "snapshot", "outcomes", "waiting-times", "report", "runs"):
        assert f"{REPORTS.replace('low-moss', '{tenant}')}/{name}" in paths, name
