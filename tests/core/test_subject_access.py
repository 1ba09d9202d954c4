"""The subject-access export: the lead alone makes it, with a reason; it holds a record
from every core domain and every enabled plugin for a demo person, whatever the lead's
own read grants, and the access history, in which the export itself shows."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.base import Base
from core.db.engine import make_engine, make_session_factory
from core.demo.loader import load_demo
from core.tenancy.models import Tenant
from core.tenancy.spec import load_specs

LM = "/api/v1/t/low-moss"
PASSWORD = "demo-password-1"
TODAY = date(2015, 3, 19)
PERSONS = 100
# One table for each of core's domains; each plugin's rows are found through its hook.
CORE_DOMAINS = (
    "referrals",
    "episodes",
    "consents",
    "assessments",
    "recovery_plans",
    "interventions",
    "outcome_reviews",
    "meeting_items",
)
PLUGIN_TABLES = {
    "housing": ("housing_records",),
    "family_support": ("family_contacts", "family_sessions", "family_days"),
    "peer_mentoring": ("mentor_matches", "mentoring_sessions", "gate_appointments"),
    "harm_reduction": ("drug_tests", "naloxone_trainings", "naloxone_supplies"),
}
PLUGINS = tuple(PLUGIN_TABLES)


async def seeded(settings: Any) -> Any:
    specs = [s for s in load_specs(settings.paths.tenants_dir) if s.slug == "low-moss"]
    specs = [
        msgspec.structs.replace(s, demo=msgspec.structs.replace(s.demo, persons=PERSONS))
        for s in specs
    ]
    engine = make_engine(settings.db)
    try:
        factory = make_session_factory(engine)
        await load_demo(factory, specs, today=TODAY, password=PASSWORD)
        async with factory() as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "low-moss"))
            # The demo person with rows in the most of the wanted groups: each core domain,
            # and each plugin (any of its tables).
            groups = {name: name for name in CORE_DOMAINS} | {
                table: plugin for plugin, tables in PLUGIN_TABLES.items() for table in tables
            }
            held: dict[Any, set[str]] = {}
            for table_name, group in groups.items():
                table = Base.metadata.tables[table_name]
                rows = await session.execute(
                    select(table.c.person_id).where(table.c.tenant_id == tenant_id).distinct()
                )
                for (pid,) in rows.all():
                    held.setdefault(pid, set()).add(group)
        return max(held, key=lambda p: (len(held[p]), str(p))), held
    finally:
        await engine.dispose()


async def sign_in(client: Any, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def audit(settings: Any, action: str) -> list[AuditEvent]:
    engine = make_engine(settings.db)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.at)
            )
            return list(rows.all())
    finally:
        await engine.dispose()


async def test_the_lead_exports_everything_held_on_a_person(settings, client):
    person, held = await seeded(settings)
    # The demo (fixed seed and day) has such a person; the export must then show it all.
    assert held[person] == set(CORE_DOMAINS) | set(PLUGINS)
    lead = await sign_in(client, "lowmoss.lead")
    url = f"{LM}/persons/{person}/subject-access-export"
    reason = "SAR-2015-007: request received by letter"

    response = await client.post(url, json={"reason": reason}, headers=lead)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    export = response.json()
    assert export["person"]["id"] == str(person) and export["reason"] == reason
    sections: dict[str, list[Any]] = {}
    sources: dict[str, set[str]] = {}
    for section in export["sections"]:
        sections[section["name"]] = section["rows"]
        sources.setdefault(section["source"], set()).add(section["name"])
    for table in CORE_DOMAINS:
        assert sections[table], f"no {table} in the export"
        assert all(r["person_id"] == str(person) for r in sections[table])
    # Tables that hang from a person's rows come too (phase changes of their episodes).
    assert sections["episode_phase_changes"]
    assert set(PLUGINS) <= set(sources)
    for plugin in PLUGINS:
        held = [name for name in sources[plugin] if sections[name]]
        assert held, f"nothing from {plugin}"
    # Health is in it although the lead's own grants do not read health for this person.
    assert "health" in export["categories"]
    assert (
        "health"
        not in (await client.get(f"{LM}/persons/{person}", headers=lead)).json()["readable"]
    )

    # The export is audited with its reason, and shows in the file's own access history.
    events = await audit(settings, "subject_access_export")
    assert len(events) == 1 and events[0].detail["reason"] == reason
    assert export["access_history"][0]["action"] == "subject_access_export"
    history = (await client.get(f"{LM}/persons/{person}/access-history", headers=lead)).json()
    assert "subject_access_export" in [i["action"] for i in history["items"]]


async def test_only_the_lead_may_export_and_never_without_a_reason(settings, client):
    person, _ = await seeded(settings)
    url = f"{LM}/persons/{person}/subject-access-export"
    body = {"reason": "SAR-2015-008"}
    worker = await sign_in(client, "lowmoss.tps.worker")
    analyst = await sign_in(client, "lowmoss.analyst")
    lead = await sign_in(client, "lowmoss.lead")

    visible = (await client.get(f"{LM}/persons/{person}", headers=worker)).status_code
    answer = await client.post(url, json=body, headers=worker)
    # 403 to a worker who may see the person; the plain 404 to one who may not.
    assert answer.status_code == (403 if visible == 200 else 404)
    assert (await client.post(url, json=body, headers=analyst)).status_code == 404
    assert (await client.post(url, json={}, headers=lead)).status_code == 400
    assert (await client.post(url, json={"reason": ""}, headers=lead)).status_code == 400
    assert await audit(settings, "subject_access_export") == []

    engine = make_engine(settings.db)
    try:
        async with make_session_factory(engine)() as session:
            refused = await session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.record_type == "subject_access_export")
            )
    finally:
        await engine.dispose()
    assert refused == (1 if visible == 200 else 0)
