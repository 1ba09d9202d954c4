"""The demo loader: deterministic, idempotent, tenant-tight, and shaped like the field."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts.models import Membership, User
from core.accounts.passwords import hash_password, verify_password
from core.assessments.models import Assessment
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from core.db.models import Base
from core.demo.generator import OrgRef, UserRef, generate
from core.demo.loader import DemoReport, load_demo
from core.demo.names import FAMILY_NAMES
from core.episodes.models import Episode, PhaseChange
from core.interventions.models import Intervention
from core.meetings.models import CaseMeeting, MeetingAction, MeetingAttendee, MeetingItem
from core.outcomes.models import DOMAINS, OutcomeReview
from core.persons.models import Person
from core.persons.schemas import nhs_number_valid
from core.plans.models import PlanAction, RecoveryPlan
from core.referrals.models import Referral
from core.settings import PROJECT_ROOT, DatabaseSettings
from core.tenancy.models import Organisation, Tenant
from core.tenancy.spec import TenantSpec, load_specs
from core.vocabulary import CORE_INTERVENTION_KINDS
from core.working_days import add_working_days

TODAY = date(2015, 3, 19)  # the day of Low Moss's caseload snapshot
PASSWORD = "demo-password-1"
SMALL = {"low-moss": 60, "hmp-perth": 24, "leicester": 30}
START_OF_TODAY = datetime(2015, 3, 19, tzinfo=UTC)
INTERVENING = {"third_sector", "nhs", "prison"}


def sized(specs: list[TenantSpec], persons: dict[str, int]) -> list[TenantSpec]:
    """Copies of the tenant files with fewer demo people, to keep tests quick."""
    return [
        msgspec.structs.replace(
            s, demo=msgspec.structs.replace(s.demo, persons=persons.get(s.slug, s.demo.persons))
        )
        for s in specs
    ]


@pytest.fixture
async def factory(settings: Any) -> Any:
    engine = make_engine(settings.db)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


async def load(
    factory: async_sessionmaker[AsyncSession], specs: list[TenantSpec], **kw: Any
) -> DemoReport:
    return await load_demo(factory, specs, today=TODAY, password=PASSWORD, **kw)


async def table_counts(factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with factory() as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


async def snapshot(factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """What the demo looks like, without the ids sync_tenants and user creation chose."""
    async with factory() as session:
        slug = {t.id: t.slug for t in (await session.scalars(select(Tenant))).all()}
        org = {o.id: o.slug for o in (await session.scalars(select(Organisation))).all()}
        people = sorted(
            (
                slug[p.tenant_id],
                str(p.id),
                p.sort_name,
                p.date_of_birth,
                p.prison_number,
                p.nhs_number,
                p.location,
                p.reception_date,
                p.liberation_date,
            )
            for p in (await session.scalars(select(Person))).all()
        )
        referrals = sorted(
            (slug[r.tenant_id], str(r.person_id), r.source, r.received_at, r.decision)
            for r in (await session.scalars(select(Referral))).all()
        )
        interventions = sorted(
            (str(i.person_id), org[i.organisation_id], i.kind, i.setting, i.occurred_at)
            for i in (await session.scalars(select(Intervention))).all()
        )
    return {
        "people": people,
        "referrals": referrals,
        "interventions": interventions,
        "counts": await table_counts(factory),
    }


def refs(spec: TenantSpec) -> tuple[list[OrgRef], list[UserRef]]:
    orgs = [
        OrgRef(id=uuid.uuid4(), slug=o.slug, name=o.name, kind=str(o.kind), is_lead=o.lead)
        for o in spec.organisations
    ]
    users = [
        UserRef(uuid.uuid4(), u.username, u.display_name, u.organisation, tuple(u.roles))
        for u in spec.demo.users
    ]
    return orgs, users


def test_generation_depends_only_on_the_seed_and_today():
    spec = sized(load_specs(PROJECT_ROOT / "tenants"), SMALL)[-1]
    assert spec.slug == "low-moss"
    orgs, users = refs(spec)
    tenant_id = uuid.uuid4()

    def people(s: TenantSpec) -> list[tuple[Any, ...]]:
        data = generate(s, tenant_id=tenant_id, organisations=orgs, users=users, today=TODAY)
        return [(r["id"], r["sort_name"], r["nhs_number"]) for r in data.rows[Person]]

    first = generate(spec, tenant_id=tenant_id, organisations=orgs, users=users, today=TODAY)
    again = generate(spec, tenant_id=tenant_id, organisations=orgs, users=users, today=TODAY)
    assert first.rows == again.rows
    assert first.counts()["persons"] == 60
    reseeded = msgspec.structs.replace(spec, demo=msgspec.structs.replace(spec.demo, seed=99))
    assert people(reseeded) != people(spec)


async def test_same_seed_and_day_load_the_same_data_into_two_databases(settings, factory, tmp_path):
    specs = sized(load_specs(settings.paths.tenants_dir), SMALL)
    other_url = f"sqlite+aiosqlite:///{tmp_path / 'second.db'}"
    await asyncio.to_thread(upgrade, other_url)  # Alembic runs its own event loop
    other_engine = make_engine(DatabaseSettings(url=other_url))
    try:
        other = make_session_factory(other_engine)
        first = await load(factory, specs)
        second = await load(other, specs)
        a, b = await snapshot(factory), await snapshot(other)
    finally:
        await other_engine.dispose()
    assert [t.counts for t in first.tenants] == [t.counts for t in second.tenants]
    assert len(a["people"]) == sum(SMALL.values())
    assert a["people"] == b["people"]
    assert a["referrals"] == b["referrals"]
    assert a["interventions"] == b["interventions"]
    assert a["counts"] == b["counts"]


async def test_loading_again_creates_nothing(settings, factory):
    specs = sized(load_specs(settings.paths.tenants_dir), SMALL)
    low_moss = [s for s in specs if s.slug == "low-moss"]

    first = await load(factory, low_moss)
    assert first.tenant("low-moss").counts["persons"] == 60
    # Low Moss already has people: its case data is skipped; the others are loaded.
    second = await load(factory, specs)
    assert second.tenant("low-moss").skipped
    assert second.tenant("low-moss").counts == {}
    assert second.tenant("low-moss").users_created == 0
    assert second.tenant("leicester").counts["persons"] == 30
    assert not second.tenant("leicester").skipped
    before = await table_counts(factory)

    third = await load(factory, specs)
    assert all(t.skipped and t.counts == {} for t in third.tenants)
    assert sum(t.users_created + t.memberships_created for t in third.tenants) == 0
    assert await table_counts(factory) == before
    assert before["persons"] == sum(SMALL.values())
    assert before["users"] == sum(len(s.demo.users) for s in specs)


async def test_demo_users_get_their_memberships_and_roles(settings, factory):
    specs = sized(load_specs(settings.paths.tenants_dir), {s: 12 for s in SMALL})
    low_moss = next(s for s in specs if s.slug == "low-moss")
    # A capitalised name in a tenant file still makes a lower-case username.
    low_moss.demo.users[0] = msgspec.structs.replace(
        low_moss.demo.users[0], username="LowMoss.Lead"
    )
    async with factory() as session:  # someone already made this account: reuse, not duplicate
        existing = User(
            username="lowmoss.nurse", display_name="Existing", password_hash=hash_password("x" * 12)
        )
        session.add(existing)
        await session.commit()

    report = await load(factory, specs)

    assert report.tenant("low-moss").usernames[0] == "lowmoss.lead"
    assert report.tenant("low-moss").users_created == len(low_moss.demo.users) - 1
    assert report.tenant("low-moss").memberships_created == len(low_moss.demo.users)
    async with factory() as session:
        tenants = {t.slug: t for t in (await session.scalars(select(Tenant))).all()}
        hashes = set()
        for spec in specs:
            tenant = tenants[spec.slug]
            for demo_user in spec.demo.users:
                user = await session.scalar(
                    select(User).where(User.username == demo_user.username.lower())
                )
                assert user is not None, demo_user.username
                membership, org_slug = (
                    await session.execute(
                        select(Membership, Organisation.slug)
                        .join(
                            Organisation,
                            (Organisation.tenant_id == Membership.tenant_id)
                            & (Organisation.id == Membership.organisation_id),
                        )
                        .where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
                    )
                ).one()
                assert org_slug == demo_user.organisation
                assert membership.roles == demo_user.roles
                assert membership.is_active
                if user.id == existing.id:
                    assert user.display_name == "Existing"  # left alone
                    continue
                hashes.add(user.password_hash)
        assert await session.scalar(select(func.count()).select_from(User)) == sum(
            len(s.demo.users) for s in specs
        )
    assert len(hashes) == 1  # hashed once, reused
    assert verify_password(hashes.pop(), PASSWORD)


async def test_progress_is_reported_for_every_stage(settings, factory):
    specs = sized(load_specs(settings.paths.tenants_dir), SMALL)
    calls: list[tuple[str, int, int]] = []
    report = await load(factory, specs, progress=lambda *call: calls.append(call))

    last: dict[str, tuple[int, int]] = {}
    for stage, done, total in calls:
        assert done <= total
        assert done >= last.get(stage, (0, 0))[0]
        last[stage] = (done, total)
    assert last["low-moss: persons"] == (60, 60)
    assert last["low-moss: generating"] == (60, 60)
    assert last["hmp-perth: users"] == (7, 7)
    for tenant in report.tenants:
        for table, count in tenant.counts.items():
            assert last[f"{tenant.slug}: {table}"] == (count, count)


async def test_every_case_row_belongs_to_its_partnership(settings, factory):
    specs = sized(load_specs(settings.paths.tenants_dir), SMALL)
    report = await load(factory, specs)
    case_tables = [t for t in Base.metadata.sorted_tables if t.name in report.tenants[0].counts]
    persons, memberships = Person.__table__, Membership.__table__
    targets = {
        "person_id": persons,
        "escalated_person_id": persons,
        "episode_id": Episode.__table__,
        "previous_episode_id": Episode.__table__,
        "referral_id": Referral.__table__,
        "plan_id": RecoveryPlan.__table__,
        "meeting_id": CaseMeeting.__table__,
        "escalated_from_meeting_id": CaseMeeting.__table__,
        "item_id": MeetingItem.__table__,
    }
    async with factory() as session:
        tenant_ids = {t.slug: t.id for t in (await session.scalars(select(Tenant))).all()}
        for table in case_tables:
            per_tenant = dict(
                (
                    await session.execute(
                        select(table.c.tenant_id, func.count()).group_by(table.c.tenant_id)
                    )
                ).all()
            )
            for tenant in report.tenants:
                assert per_tenant.get(tenant_ids[tenant.slug], 0) == tenant.counts[table.name]
            for column in table.c:
                if column.name.endswith("organisation_id"):
                    target = Organisation.__table__
                else:
                    target = targets.get(column.name)
                if target is not None:
                    target = target.alias("target")
                    # Joined on the id alone: the row it points at is in the same partnership.
                    crossing = await session.scalar(
                        select(func.count())
                        .select_from(table.join(target, target.c.id == column))
                        .where(target.c.tenant_id != table.c.tenant_id)
                    )
                    assert crossing == 0, f"{table.name}.{column.name}"
                if any(fk.target_fullname == "users.id" for fk in column.foreign_keys):
                    # Every user a record names is a member of that partnership.
                    strangers = await session.scalar(
                        select(func.count())
                        .select_from(table)
                        .where(
                            column.is_not(None),
                            ~select(memberships.c.user_id)
                            .where(
                                memberships.c.tenant_id == table.c.tenant_id,
                                memberships.c.user_id == column,
                            )
                            .exists(),
                        )
                    )
                    assert strangers == 0, f"{table.name}.{column.name}"


def near(value: int, expected: float, tolerance: float = 0.15) -> bool:
    return abs(value - expected) <= max(3, tolerance * expected)


async def test_low_moss_has_the_shape_of_the_field(settings, factory):
    """Low Moss at its file's size (600 people), against the PSP evaluation's figures."""
    specs = sized(load_specs(settings.paths.tenants_dir), {"hmp-perth": 10, "leicester": 10})
    spec = next(s for s in specs if s.slug == "low-moss")
    assert spec.demo.persons == 600
    await load(factory, specs)
    async with factory() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == "low-moss"))
        assert tenant is not None

        async def rows(model: Any) -> list[Any]:
            stmt = select(model).where(model.tenant_id == tenant.id)
            return list((await session.scalars(stmt)).all())

        people = {p.id: p for p in await rows(Person)}
        episodes = {e.id: e for e in await rows(Episode)}
        referrals = await rows(Referral)
        assessments = await rows(Assessment)
        interventions = await rows(Intervention)
        orgs = {o.id: o for o in await rows(Organisation)}
        plans = await rows(RecoveryPlan)
        actions = await rows(PlanAction)
        reviews = await rows(OutcomeReview)
        changes = await rows(PhaseChange)
        meetings = await rows(CaseMeeting)
        attendees = await rows(MeetingAttendee)
        items = await rows(MeetingItem)
        meeting_actions = await rows(MeetingAction)

    # People: fictional, well-formed identifiers.
    assert len(people) == 600
    nhs = [p.nhs_number for p in people.values()]
    assert all(n is not None and nhs_number_valid(n) for n in nhs)
    assert len(set(nhs)) == 600
    prison = [p.prison_number or "" for p in people.values()]
    assert all(n.startswith("LM") and n[2:].isdigit() for n in prison)
    assert len(set(prison)) == 600
    assert all(p.family_name in FAMILY_NAMES for p in people.values())
    assert all(p.sort_name == f"{p.family_name} {p.given_name}".lower() for p in people.values())

    # Referrals: several hundred over ~11 months, a clear majority self-referred.
    assert 450 <= len(referrals) <= 900
    assert all(TODAY - timedelta(days=340) <= r.received_at.date() < TODAY for r in referrals)
    sources = Counter(r.source for r in referrals)
    assert len(sources) == 7
    assert 0.52 < sources["self"] / len(referrals) < 0.64  # Low Moss: 57%
    assert all(
        r.assessment_due_on == add_working_days(r.received_at.date(), 5, "scotland")
        for r in referrals
    )
    decisions = Counter(r.decision for r in referrals)
    decided = decisions["full_support"] + decisions["brief_intervention"]
    assert 0.30 <= decisions["full_support"] / decided <= 0.42
    assert 1 <= decisions["declined"] <= 0.08 * len(referrals)
    for r in referrals:
        if r.decision == "declined":
            assert episodes[r.episode_id].phase == "closed"  # a declined offer is kept

    # Re-referrals open a new episode linked to the person's earlier one.
    again = [e for e in episodes.values() if e.previous_episode_id is not None]
    assert len(again) >= 0.05 * len(episodes)
    for e in again:
        before = episodes[e.previous_episode_id]
        assert before.person_id == e.person_id
        assert before.closed_at is not None and before.opened_at < e.opened_at

    # The active caseload: ~198 = 104 community + 78 custody + 16 assessment.
    phases = Counter(e.phase for e in episodes.values())
    custody = phases["in_custody_support"] + phases["pre_liberation"]
    assert near(phases["community"], 104)
    assert near(custody, 78)
    assert near(phases["assessment"], 16)
    assert phases["referral"] == 0
    assert phases["closed"] == len(episodes) - phases["community"] - custody - phases["assessment"]
    paths: dict[uuid.UUID, list[PhaseChange]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: c.changed_at):
        paths[change.episode_id].append(change)
    for e in episodes.values():
        path = paths[e.id]
        assert path[0].from_phase is None and path[0].to_phase == "referral"
        assert path[-1].to_phase == e.phase
        assert all(a.to_phase == b.from_phase for a, b in pairwise(path))

    # In custody: received in the past, most with a liberation date 1-16 weeks ahead.
    open_by_person = {e.person_id: e for e in episodes.values() if e.closed_at is None}
    in_custody = [
        people[pid]
        for pid, e in open_by_person.items()
        if e.phase in ("in_custody_support", "pre_liberation")
    ]
    assert all(p.location == "in_custody" for p in in_custody)
    assert all(p.reception_date is not None and p.reception_date < TODAY for p in in_custody)
    soon = [
        p
        for p in in_custody
        if p.liberation_date
        and timedelta(weeks=1) <= p.liberation_date - TODAY <= timedelta(weeks=16)
    ]
    assert len(soon) >= 0.6 * len(in_custody)
    in_community = [people[pid] for pid, e in open_by_person.items() if e.phase == "community"]
    assert all(p.location == "in_community" for p in in_community)
    assert all(p.liberation_date is not None and p.liberation_date < TODAY for p in in_community)

    # Assessments: comprehensive mostly within five working days; some overdue right now.
    comprehensive = {a.referral_id: a for a in assessments if a.kind == "comprehensive"}
    due = {r.id: r.assessment_due_on for r in referrals}
    on_time = sum(a.completed_at.date() <= due[a.referral_id] for a in comprehensive.values())
    assert 0.75 <= on_time / len(comprehensive) < 1
    overdue = [
        r
        for r in referrals
        if r.assessment_due_on < TODAY
        and r.id not in comprehensive
        and episodes[r.episode_id].closed_at is None
    ]
    assert overdue
    risks = [a for a in assessments if a.kind == "risk"]
    assert risks and all(a.risk_overdose in ("low", "medium", "high") for a in risks)

    # Interventions by every prison, NHS and third-sector partner, in the right setting.
    by_org = Counter(i.organisation_id for i in interventions)
    for org in orgs.values():
        if org.kind in INTERVENING:
            assert by_org[org.id] > 0, org.slug
    for i in interventions:
        assert i.category == CORE_INTERVENTION_KINDS[i.kind]
        person = people[i.person_id]
        day = i.occurred_at.date()
        inside = person.reception_date <= day and (
            person.liberation_date is None or day < person.liberation_date
        )
        assert i.setting == ("prison" if inside else "community")
        if orgs[i.organisation_id].kind == "prison":
            assert i.setting == "prison"
    active_ids = {
        e.id for e in episodes.values() if e.closed_at is None and e.phase != "assessment"
    }
    per_active = Counter(i.episode_id for i in interventions if i.episode_id in active_ids)
    assert sum(per_active.values()) >= 3 * len(active_ids)

    # Recovery plans: one per full-support episode, contingency and 1-3 actions by partners.
    full = {r.episode_id for r in referrals if r.decision == "full_support"}
    assert sorted(p.episode_id for p in plans) == sorted(full)
    for plan in plans:
        assert set(plan.contingency) == {
            "safety",
            "overdose_prevention",
            "harm_reduction",
            "re_engagement",
        }
        assert plan.goals
        owners = [a.owner_organisation_id for a in actions if a.plan_id == plan.id]
        assert 1 <= len(owners) <= 3 and len(set(owners)) == len(owners)

    # Outcome reviews: mostly improving; social functioning improves most.
    series: dict[uuid.UUID, list[OutcomeReview]] = defaultdict(list)
    for review in sorted(reviews, key=lambda r: r.reviewed_on):
        series[review.episode_id].append(review)
    series = {k: v for k, v in series.items() if len(v) >= 2}
    assert len(series) >= 100
    gain = {d: sum(getattr(v[-1], d) - getattr(v[0], d) for v in series.values()) for d in DOMAINS}
    improved = sum(
        sum(getattr(v[-1], d) for d in DOMAINS) > sum(getattr(v[0], d) for d in DOMAINS)
        for v in series.values()
    )
    assert improved > 0.6 * len(series)
    assert max(gain, key=gain.__getitem__) == "social_functioning"
    assert all(1 <= getattr(r, d) <= 10 for r in reviews for d in DOMAINS)

    # The daily meeting: a handful in the last two weeks, with attendees, items and actions.
    daily = [m for m in meetings if m.kind == "daily"]
    assert 3 <= len(daily) <= 10
    assert all(TODAY - timedelta(days=14) <= m.held_on < TODAY for m in meetings)
    for meeting in daily:
        assert any(a.meeting_id == meeting.id for a in attendees)
        assert any(i.meeting_id == meeting.id for i in items)
        assert any(a.meeting_id == meeting.id for a in meeting_actions)
    assert any(m.kind == "complex_case" and m.escalated_person_id for m in meetings)

    # Every time is UTC-aware and before the start of the demo's today.
    times = [r.received_at for r in referrals] + [i.occurred_at for i in interventions]
    times += [c.changed_at for c in changes] + [a.completed_at for a in assessments]
    assert all(t.tzinfo is not None and t < START_OF_TODAY for t in times)
