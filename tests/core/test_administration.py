"""The lead's organisations: list, add, rename, deactivate; lead only, tenant-bound,
every change audited and shown in the organisation's history."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory

LM = "/api/v1/t/low-moss/admin"
LC = "/api/v1/t/leicester/admin"


async def audit_rows(world, **where):
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            statement = select(AuditEvent)
            for key, value in where.items():
                statement = statement.where(getattr(AuditEvent, key) == value)
            return (await session.scalars(statement.order_by(AuditEvent.at))).all()
    finally:
        await engine.dispose()


async def add(world, name="Circle of Support", kind="third_sector", who="lm_lead"):
    return await world.post(who, f"{LM}/organisations", {"name": name, "kind": kind})


async def test_the_lead_adds_renames_and_deactivates_an_organisation(world):
    response = await add(world)
    assert response.status_code == 201, response.text
    org = response.json()
    assert org["name"] == "Circle of Support" and org["kind"] == "third_sector"
    assert org["slug"] == "circle-of-support" and org["is_active"] and not org["is_lead"]
    listed = (await world.get("lm_lead", f"{LM}/organisations")).json()
    assert "Circle of Support" in [o["name"] for o in listed]
    # The partnership's own list (every member's) shows it too.
    public = (await world.get("lm_worker", "/api/v1/t/low-moss/organisations")).json()
    assert org["id"] in [o["id"] for o in public]

    renamed = await world.patch("lm_lead", f"{LM}/organisations/{org['id']}", {"name": "Circle"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Circle"

    gone = await world.post("lm_lead", f"{LM}/organisations/{org['id']}/deactivate")
    assert gone.status_code == 200, gone.text
    assert gone.json()["is_active"] is False and gone.json()["deactivated_at"]
    again = await world.post("lm_lead", f"{LM}/organisations/{org['id']}/deactivate")
    assert again.status_code == 409
    # Nobody new is placed in it, nor moved into it.
    member = {
        "username": "circle.new",
        "display_name": "Circle New",
        "organisation_id": org["id"],
        "roles": ["case_worker"],
        "how": "temporary_password",
    }
    placed = await world.post("lm_lead", f"{LM}/members", member)
    assert placed.status_code == 422 and placed.json()["extra"][0]["key"] == "organisation_id"
    members = {m["username"]: m for m in (await world.get("lm_lead", f"{LM}/members")).json()}
    moved = await world.patch(
        "lm_lead", f"{LM}/members/{members['lm_worker']['id']}", {"organisation_id": org["id"]}
    )
    assert moved.status_code == 422

    history = (await world.get("lm_lead", f"{LM}/organisations/{org['id']}/history")).json()
    assert [h["action"] for h in history] == ["deactivate", "rename", "create"]
    assert history[1]["detail"] == {"from": "Circle of Support", "to": "Circle"}
    assert history[0]["by"] == "Lm Lead"
    rows = await audit_rows(world, record_type="organisation", record_id=uuid.UUID(org["id"]))
    assert {r.tenant_id for r in rows} == {world.tenants["low-moss"].id}


async def test_a_second_organisation_with_the_same_name_is_refused_and_slugs_stay_unique(world):
    assert (await add(world, "New Start")).status_code == 201
    clash = await add(world, "new  start")
    assert clash.status_code == 422
    assert clash.json()["extra"][0]["key"] == "name"
    other = await add(world, "New-Start")
    assert other.status_code == 201 and other.json()["slug"] == "new-start-2"
    # A name taken by renaming is refused as well.
    org = other.json()["id"]
    taken = await world.patch("lm_lead", f"{LM}/organisations/{org}", {"name": "Sacro"})
    assert taken.status_code == 422


async def test_bad_input_names_the_field(world):
    for body, field in (
        ({"name": "X", "kind": "nhs"}, "name"),
        ({"name": "Good name", "kind": "pharmacy"}, "kind"),
        ({"name": "Good name"}, "kind"),
        ({"name": "Good name", "kind": "nhs", "lead": True}, "lead"),
    ):
        response = await world.post("lm_lead", f"{LM}/organisations", body)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text
    response = await world.patch("lm_lead", f"{LM}/organisations/{uuid.uuid4()}", {"name": ""})
    assert response.status_code == 400


async def test_the_lead_organisation_and_one_with_members_cannot_be_deactivated(world):
    lead_org = world.org_id("low-moss", "turning-point-scotland")
    response = await world.post("lm_lead", f"{LM}/organisations/{lead_org}/deactivate")
    assert response.status_code == 422
    sacro = world.org_id("low-moss", "sacro")
    response = await world.post("lm_lead", f"{LM}/organisations/{sacro}/deactivate")
    assert response.status_code == 409
    assert "1 active member" in response.json()["detail"]


async def test_only_the_lead_and_refusals_are_audited(world):
    for who in ("lm_worker", "lm_analyst", "lm_nurse"):
        assert (await world.get(who, f"{LM}/organisations")).status_code == 403
        assert (await add(world, who=who)).status_code == 403
    sacro = world.org_id("low-moss", "sacro")
    response = await world.patch("lm_worker", f"{LM}/organisations/{sacro}", {"name": "Mine"})
    assert response.status_code == 403
    denials = await audit_rows(world, record_type="administration", action="deny")
    assert len(denials) == 7
    assert {d.user_id for d in denials} == {
        world.users[u].id for u in ("lm_worker", "lm_analyst", "lm_nurse")
    }
    listed = (await world.get("lm_lead", f"{LM}/organisations")).json()
    assert "Mine" not in [o["name"] for o in listed]


async def test_nothing_crosses_a_tenant(world):
    # Another partnership's lead URL: not found, as if it did not exist.
    assert (await world.get("lm_lead", f"{LC}/organisations")).status_code == 404
    assert (
        await world.post("lm_lead", f"{LC}/organisations", {"name": "Xx", "kind": "nhs"})
    ).status_code == 404
    assert (await world.get("admin", f"{LM}/organisations")).status_code == 404
    # Another partnership's organisation id under one's own partnership: not found.
    leicester_org = world.org_id("leicester", "turning-point")
    for url in (
        f"{LM}/organisations/{leicester_org}",
        f"{LM}/organisations/{leicester_org}/history",
    ):
        assert (await world.get("lm_lead", url)).status_code == 404
    assert (
        await world.patch("lm_lead", f"{LM}/organisations/{leicester_org}", {"name": "Taken over"})
    ).status_code == 404
    assert (
        await world.post("lm_lead", f"{LM}/organisations/{leicester_org}/deactivate")
    ).status_code == 404
    listed = (await world.get("lm_lead", f"{LM}/organisations")).json()
    assert leicester_org not in [o["id"] for o in listed]
