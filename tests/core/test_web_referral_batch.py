"""The night's referrals on one form (issue 12): every row checked before any is saved,
everything typed kept, each referral made by the referral service (its write check and its
audit), and the people on today's agenda, or on today's meeting once it has started."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.referrals.models import Referral
from tests.core.test_meetings import audit_rows, db_run
from tests.core.test_web import LM, PAGES, add_person, csrf_from, sign_in

BATCH = f"{PAGES}/meeting/referrals"


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    world.client.follow_redirects = False


async def referral_count(world: Any) -> int:
    async def work(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(Referral)) or 0)

    return await db_run(world, work)


async def open_form(world: Any, user: str = "lm_worker") -> str:
    await sign_in(world, user)
    page = await world.client.get(BATCH)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def rows(*entries: tuple[str, str, str, str]) -> dict[str, str]:
    """Form fields for rows 1.. of (name, prison number, source, reason)."""
    data: dict[str, str] = {"rows": "5"}
    for n, (name, number, source, reason) in enumerate(entries, start=1):
        data |= {
            f"name-{n}": name,
            f"prison_number-{n}": number,
            f"source-{n}": source,
            f"reason-{n}": reason,
        }
    return data


def summary(page: str) -> list[str]:
    block = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(m) for m in re.findall(r'<a href="#[^"]+">([^<]+)</a>', block)]


def field_value(page: str, name: str) -> str:
    found = re.search(
        rf'id="{re.escape(name)}" name="{re.escape(name)}" type="text" value="([^"]*)"', page
    )
    assert found, f"no {name} input"
    return html.unescape(found.group(1))


async def test_a_batch_is_saved_through_the_referral_service_onto_todays_agenda(
    world: Any,
) -> None:
    ids = [
        await add_person(world, "Pat", "Owens", "NB10001"),
        await add_person(world, "Sam", "O'Neil", "NB10002"),
        await add_person(world, "Jo", "Smith-Jones", "NB10003"),
    ]
    token = await open_form(world)
    agenda = await world.client.get(f"{PAGES}/meeting")
    assert f'href="{BATCH}"' in agenda.text  # reachable from the agenda
    before = await referral_count(world)
    data = rows(
        ("Owens, Pat", "nb10001", "staff_concern", "Night report: low mood"),
        ("", "", "staff_concern", ""),  # an empty row is ignored, whatever its source
        ("Sam O'Neil", "NB10002", "healthcare", ""),
        ("JO SMITH JONES", "NB10003", "self", "Asked at the hatch"),
    )
    saved = await world.client.post(BATCH, data=data | {"_csrf_token": token})
    assert saved.status_code in (302, 303), saved.text
    assert saved.headers["location"] == f"{BATCH}?saved=3"
    assert await referral_count(world) == before + 3
    made = {}
    for person_id in ids:
        listed = (await world.get("lm_worker", f"{LM}/referrals?person_id={person_id}")).json()
        (referral,) = listed["items"]
        made[person_id] = referral
        assert referral["received_at"][:10] == date.today().isoformat()
    assert [made[i]["source"] for i in ids] == ["staff_concern", "healthcare", "self"]
    assert [made[i]["reason"] for i in ids] == [
        "Night report: low mood",
        None,
        "Asked at the hatch",
    ]
    # Audited as the referral service audits one made on a person's record.
    created = await audit_rows(world, action="create", record_type="referral")
    assert {str(e.person_id) for e in created} >= set(ids)
    lookups = await audit_rows(world, action="read", record_type="person")
    assert {str(e.person_id) for e in lookups if e.detail.get("page") == "referral_batch"} == set(
        ids
    )

    banner = await world.client.get(saved.headers["location"])
    assert "3 referrals saved" in banner.text
    agenda = await world.client.get(f"{PAGES}/meeting")
    for family in ("Owens, Pat", "O&#39;Neil, Sam", "Smith-Jones, Jo"):
        assert family in agenda.text
    assert "3 people to discuss" in agenda.text


async def test_every_row_is_checked_first_and_what_was_typed_comes_back(world: Any) -> None:
    await add_person(world, "Pat", "Owens", "NB20001")
    await add_person(world, "Ann", "Reid", "NB20002")
    other = await world.post(
        "lc_worker",
        "/api/v1/t/leicester/persons",
        {
            "given_name": "Lee",
            "family_name": "Cester",
            "date_of_birth": "1980-01-01",
            "prison_number": "NB20009",
        },
    )
    assert other.status_code == 201, other.text
    token = await open_form(world)
    before = await referral_count(world)
    data = rows(
        ("Pat Owens", "NB20001", "staff_concern", "Fine on its own"),
        ("John Smith", "NB20002", "staff_concern", ""),  # the number is Ann Reid's
        ("Nobody", "NB29999", "staff_concern", ""),
        ("Lee Cester", "NB20009", "staff_concern", ""),  # another partnership's person
        ("Owens", "nb20001", "self", ""),  # Pat Owens again
    ) | {
        "name-6": "",
        "prison_number-6": "NB20002",
        "source-6": "nonsense",
        "reason-6": "x" * 4001,
        "rows": "6",
    }
    page = await world.client.post(BATCH, data=data | {"_csrf_token": token})
    assert page.status_code == 400
    assert summary(page.text) == [
        "Referral 2: prison number NB20002 is Ann Reid, not John Smith: check the name and "
        "the number",
        "Referral 3: no person with prison number NB29999 was found",
        "Referral 4: no person with prison number NB20009 was found",
        "Referral 5: Pat Owens is already on referral 1",
        "Referral 6: enter the person's name",
        "Referral 6: Ann Reid is already on referral 2",
        "Referral 6: select where the referral came from",
        "Referral 6: the reason must be 4,000 characters or fewer",
    ]
    assert await referral_count(world) == before  # not even the good first row
    # Everything typed is back, in its row, the good row included.
    assert field_value(page.text, "name-1") == "Pat Owens"
    assert field_value(page.text, "name-2") == "John Smith"
    assert field_value(page.text, "prison_number-5") == "nb20001"
    assert "Fine on its own</textarea>" in page.text
    assert 'id="name-6"' in page.text and 'name="rows" value="6"' in page.text
    # A blank form, and a date in the future, say so.
    tomorrow = date.today() + timedelta(days=1)
    empty = await world.client.post(
        BATCH,
        data={
            "rows": "5",
            "received_on-day": str(tomorrow.day),
            "received_on-month": str(tomorrow.month),
            "received_on-year": str(tomorrow.year),
            "_csrf_token": token,
        },
    )
    assert empty.status_code == 400
    assert summary(empty.text) == [
        "Date received must be today or in the past",
        "Enter at least one referral",
    ]


async def test_an_earlier_date_is_kept_and_more_rows_keep_what_was_typed(world: Any) -> None:
    person_id = await add_person(world, "Kim", "Late", "NB30001")
    token = await open_form(world)
    typed = rows(("Kim Late", "NB30001", "staff_concern", "Seen on the night shift"))
    more = await world.client.post(BATCH, data=typed | {"more": "yes", "_csrf_token": token})
    assert more.status_code == 200
    assert 'name="rows" value="10"' in more.text and 'id="name-10"' in more.text
    assert field_value(more.text, "name-1") == "Kim Late"
    assert await referral_count(world) == 0

    yesterday = date.today() - timedelta(days=1)
    when = {
        "received_on-day": str(yesterday.day),
        "received_on-month": str(yesterday.month),
        "received_on-year": str(yesterday.year),
    }
    saved = await world.client.post(BATCH, data=typed | when | {"rows": "10", "_csrf_token": token})
    assert saved.headers["location"] == f"{BATCH}?saved=1"
    listed = (await world.get("lm_worker", f"{LM}/referrals?person_id={person_id}")).json()
    assert listed["items"][0]["received_at"][:10] == yesterday.isoformat()


async def test_once_todays_meeting_has_started_the_referred_join_it(world: Any) -> None:
    await sign_in(world, "lm_worker")
    agenda = await world.client.get(f"{PAGES}/meeting")
    started = await world.client.post(
        f"{PAGES}/meeting", data={"_csrf_token": csrf_from(agenda.text)}
    )
    meeting_url = started.headers["location"]
    meeting = await world.client.get(meeting_url)
    assert f'href="{BATCH}"' in meeting.text
    ids = [
        await add_person(world, "Rae", "Night", "NB40001"),
        await add_person(world, "Dee", "Shift", "NB40002"),
    ]
    data = rows(
        ("Rae Night", "NB40001", "staff_concern", ""),
        ("Dee Shift", "NB40002", "offender_management", ""),
    )
    saved = await world.client.post(BATCH, data=data | {"_csrf_token": csrf_from(meeting.text)})
    assert saved.headers["location"] == f"{BATCH}?saved=2"
    detail = (await world.get("lm_worker", f"{LM}/meetings/{meeting_url.rsplit('/', 1)[1]}")).json()
    assert [(i["person_id"], i["reason"]) for i in detail["items"]] == [
        (ids[0], "New referral (staff concern)"),
        (ids[1], "New referral (offender management)"),
    ]


async def test_a_person_one_may_not_refer_is_refused_in_plain_words(world: Any) -> None:
    person_id = await add_person(world, "Una", "Known", "NB50001")
    identity = await world.get("lm_sacro", f"{LM}/persons/{person_id}")
    assert identity.status_code == 200  # Sacro may know who the person is...
    token = await open_form(world, "lm_sacro")
    before = await referral_count(world)
    page = await world.client.post(
        BATCH, data=rows(("Una Known", "NB50001", "staff_concern", "")) | {"_csrf_token": token}
    )
    # ...but the protocol lets it write the case notes only of people it works with, and
    # the row says so before anything is sent (the API would refuse the same referral).
    assert page.status_code == 400
    assert summary(page.text) == [
        "Referral 1: the sharing protocol does not let your organisation refer Una Known"
    ]
    assert not re.search(r"\b[rku]:[a-z_]", page.text) and "rule" not in page.text.lower()
    assert "<title>Error: Add the night" in page.text
    assert await referral_count(world) == before
    api = await world.post(
        "lm_sacro", f"{LM}/referrals", {"person_id": person_id, "source": "self"}
    )
    assert api.status_code == 403

    # A role that may refer nobody is offered no form, and gets none by asking.
    world.client.cookies.clear()
    await sign_in(world, "lm_analyst")
    refused = await world.client.get(BATCH)
    assert refused.status_code == 403
    assert "Traceback" not in refused.text
