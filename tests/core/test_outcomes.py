"""Outcome reviews on the seven domains, distance travelled, and which reviews are due."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.episodes.models import Episode, Phase
from core.outcomes.models import DOMAINS, SCORE_MAX, SCORE_MIN, OutcomeReview
from core.outcomes.services import one_month_before, reviews_due
from core.persons.models import Location, Person
from tests.core.test_consents import refer_from

LM = "/api/v1/t/low-moss"
LC = "/api/v1/t/leicester"
PERSON = {"given_name": "Sam", "family_name": "Reviewcase", "date_of_birth": "1979-11-02"}
SCORES = dict.fromkeys(DOMAINS, 5)


async def db_run(world, work):
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def audit_rows(world, **where) -> list[AuditEvent]:
    async def work(session):
        stmt = select(AuditEvent).order_by(AuditEvent.at)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list((await session.scalars(stmt)).all())

    return await db_run(world, work)


async def review_count(world) -> int:
    async def work(session):
        return await session.scalar(select(func.count()).select_from(OutcomeReview))

    return await db_run(world, work)


async def make_person(world, user: str = "lm_worker", base: str = LM, **extra) -> str:
    response = await world.post(user, f"{base}/persons", {**PERSON, **extra})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def body(person_id: str, **extra) -> dict:
    return {
        "person_id": person_id,
        "reviewed_on": days_ago(1),
        "setting": "prison",
        **SCORES,
        "notes": "Joint review with key worker",
        **extra,
    }


def names_field(response, name: str) -> bool:
    extra = response.json().get("extra") or []
    return any(e.get("key") == name or f"`{name}`" in e.get("message", "") for e in extra)


async def test_record_read_list_and_correct_a_review(world):
    person_id = await make_person(world)
    created = await world.post("lm_worker", f"{LM}/outcome-reviews", body(person_id, engagement=7))
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["organisation_id"] == world.org_id("low-moss", "turning-point-scotland")
    assert out["reviewed_by"] == str(world.users["lm_worker"].id)
    assert out["engagement"] == 7 and out["substance_misuse"] == 5
    assert out["reviewed_on"] == days_ago(1)

    # The prison referred the person, so SPS works with them and reads the case notes.
    await refer_from(world, person_id, "sps-low-moss")
    read = await world.get("lm_officer", f"{LM}/outcome-reviews/{out['id']}")
    assert read.status_code == 200 and read.json()["id"] == out["id"]
    listed = await world.get("lm_worker", f"{LM}/outcome-reviews", params={"person_id": person_id})
    assert [r["id"] for r in listed.json()["items"]] == [out["id"]]

    changed = await world.patch(
        "lm_lead", f"{LM}/outcome-reviews/{out['id']}", {"engagement": 8, "notes": None}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["engagement"] == 8 and changed.json()["notes"] is None
    assert changed.json()["living_situation"] == 5

    events = await audit_rows(world, record_type="outcome_review")
    assert [e.action for e in events] == ["create", "read", "list", "update"]
    assert {str(e.person_id) for e in events} == {person_id}
    assert events[-1].detail["fields"] == ["engagement", "notes"]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("score", [SCORE_MAX + 1, SCORE_MIN - 1])
async def test_out_of_range_score_names_the_domain(world, domain, score):
    person_id = await make_person(world)
    response = await world.post(
        "lm_worker", f"{LM}/outcome-reviews", body(person_id, **{domain: score})
    )
    assert response.status_code in (400, 422), response.text
    assert names_field(response, domain), response.text
    assert await review_count(world) == 0


@pytest.mark.parametrize(
    ("change", "status", "name"),
    [
        ({"mood": 5}, 400, "mood"),
        ({"engagement": "five"}, 400, "engagement"),
        ({"engagement": [5]}, 400, "engagement"),
        ({"engagement": 5.5}, 400, "engagement"),
        ({"engagement": True}, 400, "engagement"),
        ({"setting": "hospital"}, 400, "setting"),
        ({"reviewed_on": "2026-02-30"}, 400, "reviewed_on"),
        ({"notes": "x" * 10_001}, 400, "notes"),
        ({"reviewed_on": "FUTURE"}, 422, "reviewed_on"),
        ({"reviewed_on": "1970-01-01"}, 422, "reviewed_on"),  # before birth
    ],
)
async def test_bad_review_bodies(world, change, status, name):
    person_id = await make_person(world)
    payload = {**body(person_id), **change}
    if change.get("reviewed_on") == "FUTURE":
        payload["reviewed_on"] = (date.today() + timedelta(days=1)).isoformat()
    response = await world.post("lm_worker", f"{LM}/outcome-reviews", payload)
    assert response.status_code == status, response.text
    assert names_field(response, name), response.text
    assert await review_count(world) == 0


@pytest.mark.parametrize("missing", ["person_id", "reviewed_on", "setting", *DOMAINS])
async def test_missing_field_is_named(world, missing):
    person_id = await make_person(world)
    payload = {k: v for k, v in body(person_id).items() if k != missing}
    response = await world.post("lm_worker", f"{LM}/outcome-reviews", payload)
    assert response.status_code == 400
    assert missing in response.text
    assert await review_count(world) == 0


async def test_other_tenants_person_is_404_and_nothing_written(world):
    leicester_person = await make_person(world, "lc_worker", LC)
    response = await world.post("lm_worker", f"{LM}/outcome-reviews", body(leicester_person))
    assert response.status_code == 404
    assert await review_count(world) == 0
    distance = await world.get("lm_worker", f"{LM}/persons/{leicester_person}/distance-travelled")
    assert distance.status_code == 404
    listed = await world.get(
        "lm_worker", f"{LM}/outcome-reviews", params={"person_id": leicester_person}
    )
    assert listed.status_code == 404
    lm_id = world.tenants["low-moss"].id
    assert await audit_rows(world, person_id=uuid.UUID(leicester_person), tenant_id=lm_id) == []

    own = await world.post("lm_worker", f"{LM}/outcome-reviews", body(await make_person(world)))
    review_id = own.json()["id"]
    assert (await world.get("lc_worker", f"{LC}/outcome-reviews/{review_id}")).status_code == 404
    assert (await world.get("lc_worker", f"{LM}/outcome-reviews/{review_id}")).status_code == 404
    patched = await world.patch("lc_worker", f"{LC}/outcome-reviews/{review_id}", {"engagement": 1})
    assert patched.status_code == 404


async def test_another_organisation_cannot_change_a_review(world):
    person_id = await make_person(world)
    out = (await world.post("lm_worker", f"{LM}/outcome-reviews", body(person_id))).json()
    # Sacro works with the person too, and still cannot change Turning Point's review.
    await refer_from(world, person_id, "sacro")
    refused = await world.patch("lm_sacro", f"{LM}/outcome-reviews/{out['id']}", {"engagement": 1})
    assert refused.status_code == 403
    owner = world.organisations[("low-moss", "turning-point-scotland")].name
    assert owner in refused.json()["detail"]
    again = (await world.get("lm_worker", f"{LM}/outcome-reviews/{out['id']}")).json()
    assert again["engagement"] == 5


async def test_patch_is_validated(world):
    person_id = await make_person(world)
    out = (await world.post("lm_worker", f"{LM}/outcome-reviews", body(person_id))).json()
    url = f"{LM}/outcome-reviews/{out['id']}"
    for payload, name in [
        ({"psychological_wellbeing": 11}, "psychological_wellbeing"),
        ({"engagement": None}, "engagement"),
        ({"reviewed_on": days_ago(3)}, "reviewed_on"),  # scores and notes only
    ]:
        response = await world.patch("lm_worker", url, {"notes": "changed", **payload})
        assert response.status_code == 400 and names_field(response, name), response.text
    assert (await world.get("lm_worker", url)).json()["notes"] == out["notes"]


async def test_distance_travelled_from_three_reviews(world):
    person_id = await make_person(world)
    other_id = await make_person(world, family_name="Elsewhere")
    first = dict(zip(DOMAINS, [3, 2, 4, 5, 3, 2, 1], strict=True))
    middle = dict(zip(DOMAINS, [4, 5, 4, 5, 4, 4, 3], strict=True))
    latest = dict(zip(DOMAINS, [6, 7, 3, 5, 6, 7, 5], strict=True))
    # Posted out of order: the series follows the review dates, not the order entered.
    for reviewed, scores in [(30, middle), (1, latest), (60, first)]:
        response = await world.post(
            "lm_worker",
            f"{LM}/outcome-reviews",
            body(person_id, reviewed_on=days_ago(reviewed), **scores),
        )
        assert response.status_code == 201, response.text
    noise = body(other_id, **dict.fromkeys(DOMAINS, SCORE_MAX))
    await refer_from(world, other_id, "sacro")
    assert (await world.post("lm_sacro", f"{LM}/outcome-reviews", noise)).status_code == 201

    url = f"{LM}/persons/{person_id}/distance-travelled"
    response = await world.get("lm_worker", url)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["person_id"] == person_id
    assert out["reviews"] == 3
    assert out["first_reviewed_on"] == days_ago(60)
    assert out["latest_reviewed_on"] == days_ago(1)
    assert list(out["domains"]) == list(DOMAINS)
    expected_change = {
        "criminal_activity": 3,
        "engagement": 5,
        "living_situation": -1,
        "physical_health": 0,
        "psychological_wellbeing": 3,
        "social_functioning": 5,
        "substance_misuse": 4,
    }
    for domain in DOMAINS:
        got = out["domains"][domain]
        assert got["first"] == first[domain]
        assert got["latest"] == latest[domain]
        assert got["change"] == expected_change[domain]
        assert got["series"] == [
            {"reviewed_on": days_ago(60), "score": first[domain]},
            {"reviewed_on": days_ago(30), "score": middle[domain]},
            {"reviewed_on": days_ago(1), "score": latest[domain]},
        ]

    # A correction to the latest review moves the distance travelled with it.
    latest_id = (
        await world.get("lm_worker", f"{LM}/outcome-reviews", params={"person_id": person_id})
    ).json()["items"][0]["id"]
    fixed = await world.patch(
        "lm_worker", f"{LM}/outcome-reviews/{latest_id}", {"social_functioning": 8}
    )
    assert fixed.status_code == 200
    again = (await world.get("lm_worker", url)).json()["domains"]["social_functioning"]
    assert (again["latest"], again["change"]) == (8, 6)

    reads = await audit_rows(world, record_type="distance_travelled")
    assert [(e.action, str(e.person_id)) for e in reads] == [("read", person_id)] * 2
    assert reads[0].detail == {"reviews": 3}


async def test_distance_travelled_empty_state(world):
    person_id = await make_person(world)
    response = await world.get("lm_worker", f"{LM}/persons/{person_id}/distance-travelled")
    assert response.status_code == 200
    out = response.json()
    assert out["reviews"] == 0
    assert out["first_reviewed_on"] is None and out["latest_reviewed_on"] is None
    assert out["domains"] == {
        domain: {"first": None, "latest": None, "change": None, "series": []} for domain in DOMAINS
    }


async def test_list_is_newest_first_in_pages_and_tenant_scoped(world):
    person_id = await make_person(world)
    ids = []
    for days in (90, 60, 30, 10, 2):
        response = await world.post(
            "lm_worker", f"{LM}/outcome-reviews", body(person_id, reviewed_on=days_ago(days))
        )
        ids.append(response.json()["id"])
    leicester_person = await make_person(world, "lc_worker", LC)
    assert (
        await world.post("lc_worker", f"{LC}/outcome-reviews", body(leicester_person))
    ).status_code == 201

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.get("lm_worker", f"{LM}/outcome-reviews", params=params)).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    bad = await world.get("lm_worker", f"{LM}/outcome-reviews", params={"cursor": "bm9wZQ"})
    assert bad.status_code == 400 and "cursor" in bad.text


def test_one_month_before():
    assert one_month_before(date(2026, 6, 15)) == date(2026, 5, 15)
    assert one_month_before(date(2026, 3, 31)) == date(2026, 2, 28)
    assert one_month_before(date(2028, 3, 30)) == date(2028, 2, 29)
    assert one_month_before(date(2026, 1, 10)) == date(2025, 12, 10)


async def test_reviews_due(world):
    today = date(2026, 6, 15)  # one month before is 15 May
    lm, lc = world.tenants["low-moss"].id, world.tenants["leicester"].id
    org = uuid.UUID(world.org_id("low-moss", "turning-point-scotland"))

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)

    async def work(session):
        people: dict[str, uuid.UUID] = {}

        def person(name, tenant=lm, location=Location.IN_CUSTODY):
            row = Person(
                tenant_id=tenant,
                given_name="Case",
                family_name=name,
                sort_name=f"{name.lower()} case",
                date_of_birth=date(1985, 1, 1),
                location=location,
            )
            session.add(row)
            return row

        def episode(who, opened: date, tenant=lm, closed: bool = False, phase=None):
            row = Episode(
                tenant_id=tenant,
                person_id=who.id,
                phase=phase or (Phase.CLOSED if closed else Phase.IN_CUSTODY_SUPPORT),
                opened_at=at(opened),
                closed_at=at(opened + timedelta(days=5)) if closed else None,
            )
            session.add(row)
            return row

        def review(who, on: date):
            session.add(
                OutcomeReview(
                    tenant_id=lm,
                    person_id=who.id,
                    organisation_id=org,
                    reviewed_on=on,
                    setting="prison",
                    **SCORES,
                )
            )

        cases = {
            "never": date(2026, 4, 1),  # opened 2½ months ago, no review: due
            "recent": date(2026, 4, 1),  # reviewed 10 days ago: not due
            "lapsed": date(2026, 3, 1),  # last reviewed 40 days ago: due
            "exact": date(2026, 3, 1),  # reviewed exactly a month ago: not yet
            "dayover": date(2026, 3, 1),  # reviewed a month and a day ago: due
            "newish": date(2026, 6, 1),  # opened a fortnight ago, no review: not due
            "opened_exact": date(2026, 5, 15),  # opened exactly a month ago: not yet
            "old_only": date(2026, 4, 1),  # only a review from a previous episode: due
            "future_only": date(2026, 4, 1),  # a review dated after `today` is ignored: due
        }
        episodes = {}
        for name, opened in cases.items():
            row = person(name)
            await session.flush()
            people[name] = row.id
            episodes[name] = episode(row, opened)
            await session.flush()
        rows = {name: await session.get(Person, (lm, pid)) for name, pid in people.items()}
        review(rows["recent"], date(2026, 6, 5))
        review(rows["lapsed"], date(2026, 3, 10))
        review(rows["lapsed"], date(2026, 5, 6))
        review(rows["exact"], date(2026, 5, 15))
        review(rows["dayover"], date(2026, 5, 14))
        review(rows["old_only"], date(2026, 3, 20))
        review(rows["future_only"], date(2026, 6, 20))

        community = person("community", location=Location.IN_COMMUNITY)
        closed = person("closed")
        closed_at_only = person("closed_at_only")
        phase_only = person("phase_only")
        leicester = person("leicester", tenant=lc)
        await session.flush()
        episode(community, date(2026, 1, 1))
        episode(closed, date(2026, 1, 1), closed=True)
        # Either sign of closing is enough: a closed time, or the closed phase.
        episode(closed_at_only, date(2026, 1, 1), closed=True, phase=Phase.PRE_LIBERATION)
        episode(phase_only, date(2026, 1, 1), phase=Phase.CLOSED)
        episode(leicester, date(2026, 1, 1), tenant=lc)
        # A re-referral: an older closed episode and a newer open one for the same person.
        episode(rows["never"], date(2025, 6, 1), closed=True)
        # Two open episodes (an old one never closed): the most recently opened one counts.
        two_open = person("two_open")
        await session.flush()
        episode(two_open, date(2026, 1, 1))
        episode(two_open, date(2026, 6, 1))
        await session.commit()

        due = await reviews_due(session, lm, today)
        return people, {k: str(v.id) for k, v in episodes.items()}, due

    people, episodes, due = await db_run(world, work)
    by_person = {d.person_id: d for d in due}
    names = {pid: name for name, pid in people.items()}
    assert sorted(names.get(pid, "?") for pid in by_person) == sorted(
        ["never", "lapsed", "dayover", "old_only", "future_only"]
    )
    assert by_person[people["lapsed"]].last_reviewed_on == date(2026, 5, 6)
    assert by_person[people["dayover"]].last_reviewed_on == date(2026, 5, 14)
    assert by_person[people["old_only"]].last_reviewed_on is None
    assert by_person[people["never"]].last_reviewed_on is None
    assert str(by_person[people["never"]].episode_id) == episodes["never"]
    assert by_person[people["never"]].episode_opened_on == date(2026, 4, 1)


# ---------------------------------------------------------------- the sharing protocol


async def test_reviews_are_withheld_from_partners_who_do_not_work_with_the_person(world):
    person_id = await make_person(world)
    out = (await world.post("lm_worker", f"{LM}/outcome-reviews", body(person_id))).json()

    # Reviews are case notes: the NHS reads those of people it works with only.
    assert (await world.get("lm_nurse", f"{LM}/outcome-reviews")).json()["items"] == []
    mine = await world.get("lm_nurse", f"{LM}/outcome-reviews", params={"person_id": person_id})
    assert mine.status_code == 200 and mine.json()["items"] == []
    one = await world.get("lm_nurse", f"{LM}/outcome-reviews/{out['id']}")
    assert one.status_code == 403 and "their organisation works with" in one.json()["detail"]
    distance = await world.get("lm_nurse", f"{LM}/persons/{person_id}/distance-travelled")
    assert distance.status_code == 403
    denials = await audit_rows(world, action="deny")
    assert [(e.record_type, e.user_id) for e in denials] == [
        ("case_notes", world.users["lm_nurse"].id)
    ] * 2
    assert await audit_rows(world, record_type="distance_travelled") == []
    reads = await audit_rows(world, record_type="outcome_review", action="read")
    assert reads == []


async def test_a_review_without_the_write_is_403_and_nothing_is_written(world):
    person_id = await make_person(world)
    refused = await world.post("lm_sacro", f"{LM}/outcome-reviews", body(person_id))
    assert refused.status_code == 403
    assert "write on case notes" in refused.json()["detail"]
    assert await review_count(world) == 0
    assert await audit_rows(world, record_type="outcome_review") == []
    (denial,) = await audit_rows(world, action="deny")
    assert (denial.record_type, denial.detail["action"]) == ("case_notes", "write")
    assert denial.user_id == world.users["lm_sacro"].id and str(denial.person_id) == person_id


async def test_a_reviewing_partner_gains_no_relation_by_reviewing(world):
    person_id = await make_person(world)
    await world.post("lm_worker", f"{LM}/outcome-reviews", body(person_id))
    # The prison writes case notes across the partnership; reviewing is no decision that
    # it works with the person (issue 13), so it reads no case notes of theirs.
    sps = await world.post("lm_officer", f"{LM}/outcome-reviews", body(person_id))
    assert sps.status_code == 201, sps.text
    listed = await world.get("lm_officer", f"{LM}/outcome-reviews", params={"person_id": person_id})
    assert listed.json()["items"] == []
