"""Who viewed this record: reads by different users with their categories and rules, the
lead sees every access and a partner only its own organisation's, the analyst nothing;
CSV matches JSON; reading the history is itself audited; the page shows it."""

from __future__ import annotations

import csv
import io
import re
from itertools import pairwise

from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.persons.access_history import rule_words
from tests.conftest import PASSWORD

LM = "/api/v1/t/low-moss"


async def add_person(world, username="lm_worker"):
    body = {"given_name": "Hist", "family_name": "Ory", "date_of_birth": "1988-03-04"}
    response = await world.post(username, f"{LM}/persons", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def history(world, username, person, query=""):
    response = await world.get(username, f"{LM}/persons/{person}/access-history{query}")
    return response


async def test_reads_by_different_users_show_who_what_and_which_rule(world):
    person = await add_person(world)
    for who in ("lm_nurse", "lm_sacro", "lm_worker"):
        assert (await world.get(who, f"{LM}/persons/{person}")).status_code == 200

    response = await history(world, "lm_lead", person)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    reads = {i["user_name"]: i for i in items if i["action"] == "read"}
    assert set(reads) == {"Lm Nurse", "Lm Sacro", "Lm Worker"}
    nurse = reads["Lm Nurse"]
    assert nurse["organisation_name"] == "NHS Greater Glasgow and Clyde"
    assert nurse["roles"] == ["nhs_nurse"]
    assert nurse["categories"] == ["custody", "identity"]
    # The event's rule is the one that let the nurse know the person; then each category's.
    assert nurse["rule"].split("; ") == [
        "r:nhs_nurse, identity, read, partnership, no_consent",
        "r:nhs_nurse, custody, read, partnership, no_consent",
    ]
    assert "identity" in nurse["rule_words"] and nurse["break_glass"] is False
    # Newest first: the worker read last; registering the person came before any read.
    assert "create" in [i["action"] for i in items][-2:]
    assert items[0]["user_name"] == "Lm Worker"
    assert all(a["at"] >= b["at"] for a, b in pairwise(items))


async def test_a_partner_sees_only_its_own_organisations_accesses(world):
    person = await add_person(world)
    for who in ("lm_nurse", "lm_sacro"):
        await world.get(who, f"{LM}/persons/{person}")

    sacro = (await history(world, "lm_sacro", person)).json()["items"]
    assert sacro and {i["organisation_name"] for i in sacro} == {"Sacro"}
    nurse = (await history(world, "lm_nurse", person)).json()["items"]
    assert {i["organisation_name"] for i in nurse} == {"NHS Greater Glasgow and Clyde"}
    # A partner's filter for another organisation cannot widen what it sees.
    other = world.org_id("low-moss", "nhs-ggc")
    assert (await history(world, "lm_sacro", person, f"?organisation_id={other}")).json()[
        "items"
    ] == []
    # The lead filters by organisation and by user.
    lead = (await history(world, "lm_lead", person, f"?organisation_id={other}")).json()
    assert {i["user_name"] for i in lead["items"]} == {"Lm Nurse"}
    by_user = world.users["lm_sacro"].id
    lead = (await history(world, "lm_lead", person, f"?user_id={by_user}&action=read")).json()
    # The person once, then the two reads of its own history (each audited).
    assert {i["user_name"] for i in lead["items"]} == {"Lm Sacro"}
    assert sorted(i["record_type"] for i in lead["items"]) == [
        "access_history",
        "access_history",
        "person",
    ]


async def test_the_analyst_and_other_partnerships_get_404(world):
    person = await add_person(world)
    assert (await history(world, "lm_analyst", person)).status_code == 404
    assert (await history(world, "lc_worker", person)).status_code == 404
    csv_url = f"{LM}/persons/{person}/access-history.csv"
    assert (await world.get("lm_analyst", csv_url)).status_code == 404


async def test_pages_follow_the_cursor_and_reading_the_history_is_audited(world):
    person = await add_person(world)
    for _ in range(3):
        await world.get("lm_nurse", f"{LM}/persons/{person}")
    first = (await history(world, "lm_lead", person, "?limit=2")).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = await history(world, "lm_lead", person, f"?limit=2&cursor={first['next_cursor']}")
    second = second.json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == len(ids) == 4
    assert (await history(world, "lm_lead", person, "?cursor=nonsense")).status_code == 400

    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            audited = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.record_type == "access_history")
                )
            ).all()
    finally:
        await engine.dispose()
    # Two pages read; the refused cursor read nothing.
    assert len(audited) == 2
    assert all(a.user_id == world.users["lm_lead"].id for a in audited)
    # The history's own reads show in the history.
    latest = (await history(world, "lm_lead", person, "?action=read&limit=1")).json()
    assert latest["items"][0]["record_type"] == "access_history"


async def test_csv_matches_json(world):
    person = await add_person(world)
    for who in ("lm_nurse", "lm_sacro"):
        await world.get(who, f"{LM}/persons/{person}")
    # Both read before either is audited, so they answer the same rows.
    as_csv = await world.get("lm_lead", f"{LM}/persons/{person}/access-history.csv")
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    as_json = (await history(world, "lm_lead", person)).json()["items"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    # The JSON read came after the CSV's, which it lists first; the rest are the same rows.
    assert as_json[0]["record_type"] == "access_history"
    assert [r["id"] for r in rows] == [i["id"] for i in as_json[1:]]
    for row, item in zip(rows, as_json[1:], strict=True):
        assert row["user_name"] == (item["user_name"] or "")
        assert row["organisation_name"] == (item["organisation_name"] or "")
        assert row["categories"] == " ".join(item["categories"])
        assert row["rule"] == (item["rule"] or "")
        assert row["action"] == item["action"]


async def test_break_glass_is_shown_clearly(world):
    person = await add_person(world)
    body = {"person_id": person, "category": "health", "reason": "Found unresponsive"}
    assert (await world.post("lm_sacro", f"{LM}/break-glass", body)).status_code == 201
    items = (await history(world, "lm_lead", person)).json()["items"]
    glass = [i for i in items if i["action"] == "break_glass"]
    assert glass and glass[0]["break_glass"] is True
    assert glass[0]["categories"] == ["health"] and glass[0]["user_name"] == "Lm Sacro"
    assert "Break-glass" in glass[0]["rule_words"]


def test_rules_read_as_the_matrix_shows_them():
    assert rule_words("r:case_worker, health, read, own_organisation, consent") == (
        "Case worker (role): read health for people their organisation works with, "
        "with the person's consent"
    )
    assert rule_words("k:nhs, identity, read, partnership, no_consent") == (
        "NHS (organisations): read identity for anyone in the partnership, without consent"
    )


CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def page_sign_in(world, username):
    world.client.follow_redirects = False
    page = await world.client.get("/sign-in?next=/")
    token = CSRF.search(page.text).group(1)
    response = await world.client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "next": "/", "_csrf_token": token},
    )
    assert response.status_code in (302, 303), response.text


async def test_the_page_shows_names_rules_filters_and_the_lead_exports(world):
    person = await add_person(world)
    await world.get("lm_nurse", f"{LM}/persons/{person}")
    url = f"/t/low-moss/persons/{person}/access-history"

    await page_sign_in(world, "lm_lead")
    record = await world.client.get(f"/t/low-moss/persons/{person}")
    assert url in record.text
    page = await world.client.get(url)
    assert page.status_code == 200, page.text
    assert "Lm Nurse" in page.text and "NHS Greater Glasgow and Clyde" in page.text
    assert "Nhs nurse (role): read identity" in page.text
    assert f"/api/v1/t/low-moss/persons/{person}/access-history.csv" in page.text
    assert "Make the subject-access export" in page.text
    empty = await world.client.get(f"{url}?action=break_glass")
    assert "No accesses match these filters." in empty.text
    wrong = await world.client.get(f"{url}?from-day=31&from-month=2&from-year=2026")
    assert "The start date must be a real date" in wrong.text

    token = CSRF.search(page.text).group(1)
    export_url = f"/t/low-moss/persons/{person}/subject-access-export"
    unconfirmed = await world.client.post(
        export_url, data={"reason": "SAR-1 by letter", "_csrf_token": token}
    )
    assert unconfirmed.status_code == 400 and "Confirm that the export" in unconfirmed.text
    made = await world.client.post(
        export_url, data={"reason": "SAR-1 by letter", "confirm": "yes", "_csrf_token": token}
    )
    assert made.status_code == 200, made.text
    assert "attachment" in made.headers["content-disposition"]
    assert made.json()["reason"] == "SAR-1 by letter"
    after = await world.client.get(url)
    assert "Subject access export" in after.text


async def test_a_partner_sees_its_own_and_no_export_button(world):
    person = await add_person(world)
    await world.get("lm_nurse", f"{LM}/persons/{person}")
    await page_sign_in(world, "lm_worker")
    page = await world.client.get(f"/t/low-moss/persons/{person}/access-history")
    assert page.status_code == 200
    assert "Lm Worker" in page.text and "Lm Nurse" not in page.text
    assert "Make the subject-access export" not in page.text
    token = CSRF.search(page.text).group(1)
    refused = await world.client.post(
        f"/t/low-moss/persons/{person}/subject-access-export",
        data={"reason": "curious", "confirm": "yes", "_csrf_token": token},
    )
    assert refused.status_code == 403


async def test_dates_far_in_the_past_or_future_are_answered_not_crashed_on(world):
    # Found by the fuzzer: a `since` in the year 352 or an `until` in 9999 was a 500.
    person = await add_person(world)
    for query in ("since=0352-12-11", "until=0120-10-25", "until=9999-12-31", "since=0001-01-01"):
        for suffix in ("access-history", "access-history.csv"):
            response = await world.get("lm_lead", f"{LM}/persons/{person}/{suffix}?{query}")
            assert response.status_code in (200, 400), (query, suffix, response.text)
