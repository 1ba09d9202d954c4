"""Interventions over the public API: each partner logs, reads and corrects its own work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.episodes.models import Episode
from core.interventions.models import Intervention
from core.vocabulary import CORE_INTERVENTION_KINDS

LM = "/api/v1/t/low-moss"
LC = "/api/v1/t/leicester"
PERSON = {"given_name": "Jamie", "family_name": "Logcase", "date_of_birth": "1988-07-14"}


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


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


async def intervention_count(world) -> int:
    async def work(session):
        return await session.scalar(select(func.count()).select_from(Intervention))

    return await db_run(world, work)


async def add_episode(world, tenant: str, person_id: str) -> str:
    async def work(session):
        episode = Episode(tenant_id=world.tenants[tenant].id, person_id=uuid.UUID(person_id))
        session.add(episode)
        await session.commit()
        return str(episode.id)

    return await db_run(world, work)


async def make_person(world, user: str = "lm_worker", base: str = LM, **extra) -> str:
    response = await world.post(user, f"{base}/persons", {**PERSON, **extra})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def refer_from(world, person_id: str, organisation: str, user: str = "lm_worker") -> None:
    """A referral from ``organisation``: from then on it works with the person."""
    response = await world.post(
        user,
        f"{LM}/referrals",
        {
            "person_id": person_id,
            "source": "staff_concern",
            "referring_organisation_id": world.org_id("low-moss", organisation),
        },
    )
    assert response.status_code == 201, response.text
    # Recording a referral makes no relation; the lead accepting it does (issue 13).
    accepted = await world.post(
        "lm_lead",
        f"{LM}/referrals/{response.json()['id']}/decision",
        {"decision": "full_support"},
    )
    assert accepted.status_code == 200, accepted.text


def names_field(response, name: str) -> bool:
    """The error names the field: as its key, or (for an unknown field) in its message."""
    extra = response.json().get("extra") or []
    return any(e.get("key") == name or f"`{name}`" in e.get("message", "") for e in extra)


def body(person_id: str, **extra) -> dict:
    return {
        "person_id": person_id,
        "kind": "motivational_interview",
        "setting": "prison",
        "occurred_at": ago(hours=2),
        "duration_minutes": 45,
        "notes": "  Talked through the recovery plan.  ",
        **extra,
    }


async def test_log_read_list_and_correct_an_intervention(world):
    person_id = await make_person(world)
    created = await world.post("lm_worker", f"{LM}/interventions", body(person_id))
    assert created.status_code == 201, created.text
    out = created.json()
    # The category comes from the kind; the organisation and recorder from who is signed in.
    assert out["category"] == "substance_use"
    assert out["organisation_id"] == world.org_id("low-moss", "turning-point-scotland")
    assert out["recorded_by"] == str(world.users["lm_worker"].id)
    assert out["notes"] == "Talked through the recovery plan."
    assert out["occurred_at"].endswith("Z")

    # Sacro referred the person, so it works with them: substance use is shared with it.
    await refer_from(world, person_id, "sacro")
    read = await world.get("lm_sacro", f"{LM}/interventions/{out['id']}")
    assert read.status_code == 200 and read.json()["kind"] == "motivational_interview"

    listed = await world.get("lm_worker", f"{LM}/interventions", params={"person_id": person_id})
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [out["id"]]

    changed = await world.patch(
        "lm_lead",  # same organisation, another worker
        f"{LM}/interventions/{out['id']}",
        {"notes": "Plan reviewed", "duration_minutes": None, "setting": "community"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["notes"] == "Plan reviewed"
    assert changed.json()["duration_minutes"] is None
    assert changed.json()["setting"] == "community"
    assert changed.json()["kind"] == "motivational_interview"

    events = await audit_rows(world, record_type="intervention")
    assert [e.action for e in events] == ["create", "read", "list", "update"]
    assert all(e.tenant_id == world.tenants["low-moss"].id for e in events)
    assert [str(e.person_id) for e in events] == [person_id] * 4
    assert events[1].user_id == world.users["lm_sacro"].id
    assert events[3].detail["fields"] == ["duration_minutes", "notes", "setting"]


async def test_each_partner_logs_under_its_own_organisation(world):
    person_id = await make_person(world)
    await refer_from(world, person_id, "sacro")
    sacro = await world.post("lm_sacro", f"{LM}/interventions", body(person_id, kind="outreach"))
    assert sacro.status_code == 201
    assert sacro.json()["organisation_id"] == world.org_id("low-moss", "sacro")
    # Naming another organisation in the body is refused, not silently obeyed.
    forged = await world.post(
        "lm_sacro",
        f"{LM}/interventions",
        body(person_id, organisation_id=world.org_id("low-moss", "nhs-ggc")),
    )
    assert forged.status_code == 400 and "organisation_id" in forged.text
    assert await intervention_count(world) == 1


async def test_another_organisation_cannot_change_an_intervention(world):
    person_id = await make_person(world)
    out = (await world.post("lm_worker", f"{LM}/interventions", body(person_id))).json()
    # Sacro works with the person and may write substance use, but not TPS's own entry.
    await refer_from(world, person_id, "sacro")

    refused = await world.patch(
        "lm_sacro", f"{LM}/interventions/{out['id']}", {"notes": "Sacro's version"}
    )
    assert refused.status_code == 403
    owner = world.organisations[("low-moss", "turning-point-scotland")].name
    assert refused.json()["detail"] == f"Only {owner} can change its own interventions"

    again = (await world.get("lm_worker", f"{LM}/interventions/{out['id']}")).json()
    assert again["notes"] == out["notes"]
    assert "update" not in [e.action for e in await audit_rows(world, record_type="intervention")]


async def test_unknown_kind_is_422_naming_kind_and_listing_nothing(world):
    person_id = await make_person(world)
    response = await world.post(
        "lm_worker", f"{LM}/interventions", body(person_id, kind="astral_projection")
    )
    assert response.status_code == 422
    assert response.json()["extra"][0]["key"] == "kind"
    assert not any(kind in response.text for kind in CORE_INTERVENTION_KINDS)
    assert "astral_projection" not in response.text
    assert await intervention_count(world) == 0


@pytest.mark.parametrize(
    ("change", "status", "name"),
    [
        ({"colour": "blue"}, 400, "colour"),
        ({"duration_minutes": "long"}, 400, "duration_minutes"),
        ({"duration_minutes": 0}, 400, "duration_minutes"),
        ({"duration_minutes": 1441}, 400, "duration_minutes"),
        ({"setting": "on_the_moon"}, 400, "setting"),
        ({"kind": None}, 400, "kind"),
        ({"notes": "x" * 10_001}, 400, "notes"),
        ({"person_id": "not-a-uuid"}, 400, "person_id"),
        ({"occurred_at": "2026-01-05T10:00:00"}, 400, "occurred_at"),  # no time zone
        ({"occurred_at": "yesterday"}, 400, "occurred_at"),
        ({"occurred_at": "FUTURE"}, 422, "occurred_at"),
        ({"occurred_at": "1950-01-01T10:00:00Z"}, 422, "occurred_at"),  # before birth
    ],
)
async def test_bad_intervention_bodies(world, change, status, name):
    person_id = await make_person(world)
    payload = {**body(person_id), **change}
    if change.get("occurred_at") == "FUTURE":
        payload["occurred_at"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = await world.post("lm_worker", f"{LM}/interventions", payload)
    assert response.status_code == status, response.text
    assert names_field(response, name), response.text
    assert "Traceback" not in response.text
    assert await intervention_count(world) == 0


@pytest.mark.parametrize("missing", ["person_id", "kind", "setting", "occurred_at"])
async def test_missing_required_field_is_named(world, missing):
    person_id = await make_person(world)
    payload = {k: v for k, v in body(person_id).items() if k != missing}
    response = await world.post("lm_worker", f"{LM}/interventions", payload)
    assert response.status_code == 400
    assert missing in response.text
    assert await intervention_count(world) == 0


async def test_other_tenants_person_is_404_and_nothing_written(world):
    leicester_person = await make_person(world, "lc_worker", LC)
    response = await world.post("lm_worker", f"{LM}/interventions", body(leicester_person))
    assert response.status_code == 404
    missing = await world.post("lm_worker", f"{LM}/interventions", body(str(uuid.uuid4())))
    assert missing.status_code == 404
    assert await intervention_count(world) == 0
    assert await audit_rows(world, record_type="intervention") == []


async def test_episode_must_be_the_persons_own_in_this_tenant(world):
    person_id = await make_person(world)
    other_id = await make_person(world, family_name="Otherperson")
    own = await add_episode(world, "low-moss", person_id)
    others = await add_episode(world, "low-moss", other_id)
    leicester_person = await make_person(world, "lc_worker", LC)
    elsewhere = await add_episode(world, "leicester", leicester_person)

    wrong = await world.post("lm_worker", f"{LM}/interventions", body(person_id, episode_id=others))
    assert wrong.status_code == 422 and wrong.json()["extra"][0]["key"] == "episode_id"
    foreign = await world.post(
        "lm_worker", f"{LM}/interventions", body(person_id, episode_id=elsewhere)
    )
    assert foreign.status_code == 404
    assert await intervention_count(world) == 0

    right = await world.post("lm_worker", f"{LM}/interventions", body(person_id, episode_id=own))
    assert right.status_code == 201 and right.json()["episode_id"] == own


async def test_other_tenant_cannot_read_or_list(world):
    person_id = await make_person(world)
    out = (await world.post("lm_worker", f"{LM}/interventions", body(person_id))).json()
    assert (await world.get("lc_worker", f"{LM}/interventions/{out['id']}")).status_code == 404
    assert (await world.get("lc_worker", f"{LM}/interventions")).status_code == 404
    assert (await world.get("lc_worker", f"{LC}/interventions/{out['id']}")).status_code == 404
    own = await world.get("lc_worker", f"{LC}/interventions")
    assert own.status_code == 200 and own.json()["items"] == []
    patched = await world.patch("lc_worker", f"{LC}/interventions/{out['id']}", {"notes": "x"})
    assert patched.status_code == 404
    assert (await world.get("admin", f"{LM}/interventions/{out['id']}")).status_code == 404


async def test_list_filters_and_newest_first_pages(world):
    alex = await make_person(world, family_name="Alex")
    blair = await make_person(world, family_name="Blair")
    await refer_from(world, alex, "sacro")
    await refer_from(world, alex, "nhs-ggc")
    logged = [
        ("lm_worker", alex, "one_to_one", "prison", 50),
        ("lm_sacro", alex, "outreach", "community", 40),
        ("lm_worker", blair, "group_work", "prison", 30),
        ("lm_nurse", alex, "detox_support", "prison", 20),
        ("lm_worker", alex, "one_to_one", "community", 10),
    ]
    ids = []
    for user, person, kind, setting, hours in logged:
        response = await world.post(
            user,
            f"{LM}/interventions",
            body(person, kind=kind, setting=setting, occurred_at=ago(hours=hours)),
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    newest_first = list(reversed(ids))

    # The nurse sees all five: health and substance use across the partnership, and the
    # case notes of alex, whom the NHS works with since its referral was accepted.
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.get("lm_nurse", f"{LM}/interventions", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first

    async def ids_for(user="lm_nurse", **params):
        response = await world.get(user, f"{LM}/interventions", params=params)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await ids_for(person_id=blair) == [ids[2]]
    assert await ids_for(organisation_id=world.org_id("low-moss", "sacro")) == [ids[1]]
    assert await ids_for(kind="one_to_one") == [ids[4], ids[0]]
    assert await ids_for(category="health") == [ids[3]]
    assert await ids_for(setting="community") == [ids[4], ids[1]]
    window = {"occurred_from": ago(hours=45), "occurred_to": ago(hours=15)}
    assert await ids_for(**window) == [ids[3], ids[2], ids[1]]
    assert await ids_for(person_id=alex, setting="prison", occurred_to=ago(hours=25)) == [ids[0]]
    # A TPS key worker without consent never sees the NHS's health entry, even asking for it.
    assert await ids_for("lm_worker") == [i for i in newest_first if i != ids[3]]
    assert await ids_for("lm_worker", category="health") == []

    lists = [e for e in await audit_rows(world, action="list") if e.record_type == "intervention"]
    assert len(lists) == 3 + 9  # one per page, one per filtered list


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"setting": "moon"}, "setting"),
        ({"occurred_from": "2026-01-01T00:00:00"}, "occurred_from"),
        ({"occurred_to": "soon"}, "occurred_to"),
    ],
)
async def test_bad_list_parameters(world, params, name):
    response = await world.get("lm_worker", f"{LM}/interventions", params=params)
    assert response.status_code == 400, response.text
    assert name in response.text


async def test_patch_is_validated_and_leaves_nothing_half_done(world):
    person_id = await make_person(world)
    out = (await world.post("lm_worker", f"{LM}/interventions", body(person_id))).json()
    url = f"{LM}/interventions/{out['id']}"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    bad = await world.patch("lm_worker", url, {"notes": "changed", "occurred_at": future})
    assert bad.status_code == 422 and bad.json()["extra"][0]["key"] == "occurred_at"
    for payload, name in [({"kind": "outreach"}, "kind"), ({"setting": None}, "setting")]:
        response = await world.patch("lm_worker", url, payload)
        assert response.status_code == 400 and name in response.text
    again = (await world.get("lm_worker", url)).json()
    assert again["notes"] == out["notes"] and again["occurred_at"] == out["occurred_at"]
    moved = await world.patch("lm_worker", url, {"occurred_at": "2026-01-05T10:00:00+01:00"})
    assert moved.status_code == 200 and moved.json()["occurred_at"] == "2026-01-05T09:00:00Z"
    assert (
        await world.patch("lm_worker", f"{LM}/interventions/{uuid.uuid4()}", {})
    ).status_code == 404


async def test_intervention_kinds(world):
    response = await world.get("lm_nurse", f"{LM}/intervention-kinds")
    assert response.status_code == 200
    # Core's kinds, and those of the plugins Low Moss switched on (family support's).
    assert CORE_INTERVENTION_KINDS.items() <= response.json().items()
    assert list(response.json()) == sorted(response.json())
    assert (await world.get("lc_worker", f"{LM}/intervention-kinds")).status_code == 404
    assert (await world.client.get(f"{LM}/intervention-kinds")).status_code == 401


# ---------------------------------------------------------------- the sharing protocol


async def test_category_withheld_from_the_list_and_the_single_read(world):
    person_id = await make_person(world)
    out = (await world.post("lm_worker", f"{LM}/interventions", body(person_id))).json()
    url = f"{LM}/interventions/{out['id']}"

    # A prison officer reads substance use only with the person's consent.
    listed = await world.get("lm_officer", f"{LM}/interventions")
    assert listed.status_code == 200 and listed.json()["items"] == []
    mine = await world.get("lm_officer", f"{LM}/interventions", params={"person_id": person_id})
    assert mine.status_code == 200 and mine.json()["items"] == []
    read = await world.get("lm_officer", url)
    assert read.status_code == 403
    assert "consent" in read.json()["detail"] and "Substance use" in read.json()["detail"]
    # Sacro, which does not work with the person, is told which scope the rule has.
    sacro = await world.get("lm_sacro", url)
    assert sacro.status_code == 403
    assert "their organisation works with" in sacro.json()["detail"]
    assert (await world.get("lm_sacro", f"{LM}/interventions")).json()["items"] == []

    denials = await audit_rows(world, action="deny")
    assert [(e.record_type, e.user_id) for e in denials] == [
        ("substance_use", world.users["lm_officer"].id),
        ("substance_use", world.users["lm_sacro"].id),
    ]
    assert all(str(e.person_id) == person_id for e in denials)
    reads = await audit_rows(world, record_type="intervention", action="read")
    assert reads == []


async def test_write_without_the_category_is_403_and_nothing_is_written(world):
    person_id = await make_person(world)
    # Prison staff write no substance use under the Low Moss protocol.
    refused = await world.post("lm_officer", f"{LM}/interventions", body(person_id))
    assert refused.status_code == 403
    assert "write access to substance use" in refused.json()["detail"]
    assert await intervention_count(world) == 0
    assert await audit_rows(world, record_type="intervention") == []
    (denial,) = await audit_rows(world, action="deny")
    assert denial.record_type == "substance_use"
    assert denial.user_id == world.users["lm_officer"].id
    assert str(denial.person_id) == person_id
    assert denial.detail["action"] == "write"

    # Nor can a partner that does not work with the person log case notes about them.
    outreach = await world.post("lm_sacro", f"{LM}/interventions", body(person_id, kind="outreach"))
    assert outreach.status_code == 403
    assert await intervention_count(world) == 0


async def test_logging_work_does_not_make_the_partner_one_that_works_with_the_person(world):
    person_id = await make_person(world)
    first = await world.post(
        "lm_nurse", f"{LM}/interventions", body(person_id, kind="detox_support")
    )
    assert first.status_code == 201, first.text
    tps = await world.post("lm_worker", f"{LM}/interventions", body(person_id, kind="outreach"))
    # The NHS reads case notes of people it works with; logging detox support is no
    # decision that it does (issue 13): only an allocation would make it so.
    assert (
        await world.get("lm_nurse", f"{LM}/interventions/{tps.json()['id']}")
    ).status_code == 403


async def test_consent_withdrawal_takes_effect_on_the_next_request(world):
    person_id = await make_person(world)
    note = (
        await world.post("lm_worker", f"{LM}/interventions", body(person_id, kind="one_to_one"))
    ).json()
    url = f"{LM}/interventions/{note['id']}"

    async def sacro_sees() -> tuple[list[str], int]:
        listed = await world.get("lm_sacro", f"{LM}/interventions")
        return [i["id"] for i in listed.json()["items"]], (
            await world.get("lm_sacro", url)
        ).status_code

    # Sacro reads case notes across the partnership only with the person's consent.
    assert await sacro_sees() == ([], 403)
    consents = f"{LM}/persons/{person_id}/consents"
    consent = await world.post(
        "lm_worker",
        consents,
        {
            "category": "case_notes",
            "recipient_organisation_id": world.org_id("low-moss", "sacro"),
            "purpose": "Through-the-gate mentoring",
            "lawful_basis": "consent",
        },
    )
    assert consent.status_code == 201, consent.text
    assert await sacro_sees() == ([note["id"]], 200)

    withdrawn = await world.post("lm_worker", f"{consents}/{consent.json()['id']}/withdraw")
    assert withdrawn.status_code == 200
    assert await sacro_sees() == ([], 403)
