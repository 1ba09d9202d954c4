"""The sharing engine through the API: sections withheld by name, the lead's protocol
management (versions, diff, matrix, preview, explain), consent and break-glass."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.audit.models import AuditEvent
from core.authz.models import BreakGlassGrant
from core.db.base import utcnow
from core.db.engine import make_engine, make_session_factory
from core.notifications.models import Notification
from tests.core.test_web_protocol import set_threshold

LM = "/api/v1/t/low-moss"
NEW_RULE = "p, r:case_worker, low-moss, health, read, partnership, no_consent"


async def add_person(world, username="lm_worker", **extra):
    body = {"given_name": "Test", "family_name": "Person", "date_of_birth": "1990-01-02"}
    response = await world.post(username, f"{LM}/persons", body | extra)
    assert response.status_code == 201, response.text
    return response.json()


async def audit_rows(world, action):
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
            return list(rows.all())
    finally:
        await engine.dispose()


async def live_rules(world):
    response = await world.get("lm_lead", f"{LM}/protocol")
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_record_names_the_categories_it_withholds(world):
    person = await add_person(world)
    url = f"{LM}/persons/{person['id']}"

    nurse = (await world.get("lm_nurse", url)).json()
    assert "health" in nurse["readable"] and "health" not in nurse["restricted"]

    sacro = (await world.get("lm_sacro", url)).json()
    assert "health" in sacro["restricted"] and "health" not in sacro["readable"]
    assert "custody" in sacro["readable"]

    # The analyst may not even know the person exists: 404, and an empty caseload.
    assert (await world.get("lm_analyst", url)).status_code == 404
    caseload = (await world.get("lm_analyst", f"{LM}/persons")).json()
    assert caseload["items"] == []
    # Another partnership's member: 404 by id and nothing by list.
    assert (await world.get("lc_worker", url)).status_code == 404

    reads = await audit_rows(world, "read")
    nurse_read = [r for r in reads if r.user_id == world.users["lm_nurse"].id]
    assert nurse_read and nurse_read[-1].detail["categories"] == ["custody", "identity"]


async def test_only_the_lead_manages_the_protocol_and_a_denial_is_audited(world):
    live = await live_rules(world)
    assert live["version"] == 1 and "Seeded" in live["reason"]
    for who in ("lm_worker", "lm_nurse", "lm_analyst"):
        response = await world.get(who, f"{LM}/protocol")
        assert response.status_code == 403
        assert "manage access to protocol" in response.json()["detail"]
    assert (await world.get("lc_worker", f"{LM}/protocol")).status_code == 404
    denials = await audit_rows(world, "deny")
    assert {d.user_id for d in denials} >= {world.users["lm_worker"].id}
    assert all(d.record_type == "protocol" for d in denials)


async def test_publishing_changes_access_on_the_next_request_and_keeps_versions(world):
    people = [await add_person(world, given_name=f"P{i}") for i in range(3)]
    url = f"{LM}/persons/{people[0]['id']}"
    assert "health" in (await world.get("lm_sacro", url)).json()["restricted"]

    rules = (await live_rules(world))["rules"]
    draft = rules + f"\n{NEW_RULE}\n"
    preview = await world.post("lm_lead", f"{LM}/protocol/preview", {"rules": draft})
    assert preview.status_code == 201, preview.text
    effect = {(e["category"], e["action"]): e for e in preview.json()["effects"]}
    health = effect[("health", "read")]
    # Case workers in the world: lm_lead and lm_worker (Turning Point), lm_sacro (Sacro).
    assert (health["users_gaining"], health["organisations_gaining"]) == (3, 2)
    # lm_worker registered the three people, but only an assigned worker with consent
    # could read health before: so every case worker gains all three.
    assert health["persons_gained"] == 3
    assert "lets 3 users in 2 organisations read Health for 3 people" in health["summary"]
    assert list(effect) == [("health", "read")]

    # Health for everyone is past the two-person threshold: through the API too, it waits
    # for a second lead and changes nothing yet.
    body = {"rules": draft, "reason": "Health shared for the pilot"}
    waiting = await world.post("lm_lead", f"{LM}/protocol", body)
    assert waiting.status_code == 202, waiting.text
    assert waiting.json()["status"] == "waiting_for_a_second_lead"
    assert any("Sacro" in sentence for sentence in waiting.json()["widening"])
    assert "health" in (await world.get("lm_sacro", url)).json()["restricted"]
    assert [
        v["version"] for v in (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    ] == [1]

    # A partnership that sets no two-person threshold publishes at once.
    await set_threshold(world, 1.0)
    published = await world.post("lm_lead", f"{LM}/protocol", body)
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 2

    for person in people:  # the very next request, for every person the preview counted
        sacro = (await world.get("lm_sacro", f"{LM}/persons/{person['id']}")).json()
        assert "health" in sacro["readable"]

    versions = (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["reason"] == "Health shared for the pilot" and versions[0]["rules"] is None
    old = (await world.get("lm_lead", f"{LM}/protocol/versions/1")).json()
    assert NEW_RULE not in old["rules"]
    diff = (await world.get("lm_lead", f"{LM}/protocol/diff?from_version=1&to_version=2")).json()
    assert f"+{NEW_RULE}" in diff["lines"]
    assert not [line for line in diff["lines"] if line.startswith("-p")]
    changes = await audit_rows(world, "protocol_change")
    assert len(changes) == 1 and changes[0].detail["to_version"] == 2


async def test_a_change_that_locks_the_lead_out_or_fails_validation_is_refused(world):
    rules = (await live_rules(world))["rules"]
    locked_out = "\n".join(line for line in rules.splitlines() if "protocol, manage" not in line)
    response = await world.post(
        "lm_lead", f"{LM}/protocol", {"rules": locked_out, "reason": "tidy up"}
    )
    assert response.status_code == 422
    assert "stop you managing the protocol" in response.json()["detail"]
    preview = await world.post("lm_lead", f"{LM}/protocol/preview", {"rules": locked_out})
    assert preview.json()["valid"] is False

    bad = rules + "\np, r:dentist, low-moss, health, read, partnership, no_consent\n"
    response = await world.post("lm_lead", f"{LM}/protocol", {"rules": bad, "reason": "x" * 5})
    assert response.status_code == 422
    assert "unknown subject 'r:dentist'" in response.json()["detail"]
    assert response.json()["extra"][0]["key"] == "rules"
    assert [
        v["version"] for v in (await world.get("lm_lead", f"{LM}/protocol/versions")).json()
    ] == [1]


async def test_the_matrix_counts_the_users_each_rule_reaches(world):
    matrix = (await world.get("lm_lead", f"{LM}/protocol/matrix")).json()
    cells = {(c["subject"], c["category"], c["action"], c["scope"]): c for c in matrix["cells"]}
    assert cells[("r:case_worker", "identity", "read", "partnership")]["users"] == 3
    assert cells[("k:nhs", "health", "read", "partnership")]["users"] == 1
    assert cells[("r:analyst", "reports", "read", "partnership")]["users"] == 1
    assert "health" in matrix["categories"] and "protocol" in matrix["categories"]


async def test_explain_agrees_with_what_the_user_gets(world):
    person = await add_person(world)
    q = f"person_id={person['id']}&category=health&action=read"

    sacro = world.users["lm_sacro"].id
    why = (await world.get("lm_lead", f"{LM}/protocol/explain?user_id={sacro}&{q}")).json()
    assert why["allowed"] is False and why["scope"] == "partnership"
    assert "only for people they are key worker for" in why["reason"]

    nurse = world.users["lm_nurse"].id
    why = (await world.get("lm_lead", f"{LM}/protocol/explain?user_id={nurse}&{q}")).json()
    assert why["allowed"] is True and why["rule"] == "k:nhs, health, read, partnership, no_consent"

    worker = world.users["lm_worker"].id
    q = f"person_id={person['id']}&category=custody&action=write"
    why = (await world.get("lm_lead", f"{LM}/protocol/explain?user_id={worker}&{q}")).json()
    assert why["allowed"] is True and why["scope"] == "own_organisation"


async def test_consent_withdrawal_takes_effect_on_the_next_request(world):
    person = await add_person(world)
    url = f"{LM}/persons/{person['id']}"
    assert "case_notes" in (await world.get("lm_sacro", url)).json()["restricted"]
    consent = await world.post(
        "lm_worker",
        f"{url}/consents",
        {
            "category": "case_notes",
            "purpose": "Joint throughcare planning with Sacro",
            "lawful_basis": "consent",
            "recipient_organisation_id": world.org_id("low-moss", "sacro"),
        },
    )
    assert consent.status_code == 201, consent.text
    assert "case_notes" in (await world.get("lm_sacro", url)).json()["readable"]
    withdrawn = await world.post(
        "lm_worker", f"{url}/consents/{consent.json()['id']}/withdraw", {"reason": "asked"}
    )
    assert withdrawn.status_code in (200, 201), withdrawn.text
    assert "case_notes" in (await world.get("lm_sacro", url)).json()["restricted"]


async def test_break_glass_opens_one_category_for_a_bounded_time_and_queues_a_review(world):
    person = await add_person(world)
    url = f"{LM}/persons/{person['id']}"
    body = {"person_id": person["id"], "category": "health", "reason": "Found unresponsive"}

    response = await world.post("lm_sacro", f"{LM}/break-glass", body)
    assert response.status_code == 201, response.text
    grant = response.json()
    assert grant["active"] is True
    assert "health" in (await world.get("lm_sacro", url)).json()["readable"]
    # Only read: break-glass never lets anyone write.
    again = await world.post("lm_sacro", f"{LM}/break-glass", body)
    assert again.status_code == 409

    # The nurse already reads health: nothing to break.
    assert (await world.post("lm_nurse", f"{LM}/break-glass", body)).status_code == 409
    # Unknown to the analyst: 404, never a hint.
    assert (await world.post("lm_analyst", f"{LM}/break-glass", body)).status_code == 404

    queue = await world.get("lm_lead", f"{LM}/break-glass")
    assert [g["id"] for g in queue.json()] == [grant["id"]]
    assert (await world.get("lm_sacro", f"{LM}/break-glass")).status_code == 403

    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            alerts = (
                await session.scalars(
                    select(Notification).where(Notification.kind == "break_glass")
                )
            ).all()
            assert [a.user_id for a in alerts] == [world.users["lm_lead"].id]
            await session.execute(
                update(BreakGlassGrant).values(expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
    finally:
        await engine.dispose()
    assert "health" in (await world.get("lm_sacro", url)).json()["restricted"]

    reviewed = await world.post(
        "lm_lead", f"{LM}/break-glass/{grant['id']}/review", {"note": "Justified: 999 call"}
    )
    assert reviewed.status_code == 201 and reviewed.json()["review_note"]
    assert (await world.get("lm_lead", f"{LM}/break-glass")).json() == []
    assert await audit_rows(world, "break_glass") and await audit_rows(world, "break_glass_review")


async def test_lists_and_reads_never_call_enforce_and_a_write_calls_it_once(world):
    people = [await add_person(world, given_name=f"N{i}") for i in range(5)]
    store = world.client.app.state.policies
    store.enforce_calls = 0
    response = await world.get("lm_sacro", f"{LM}/persons?limit=50")
    assert len(response.json()["items"]) == 5
    assert store.enforce_calls == 0
    await world.get("lm_sacro", f"{LM}/persons/{people[0]['id']}")
    assert store.enforce_calls == 0
    changed = await world.patch(
        "lm_worker", f"{LM}/persons/{people[0]['id']}", {"liberation_date": "2027-03-01"}
    )
    assert changed.status_code == 200, changed.text
    assert store.enforce_calls == 1
