"""A person's history lists page through core.pagination: newest first with the id breaking
ties, every row once, a forged cursor refused, each page's read audited, and nothing of
another person's or another partnership's in the page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.audit.models import AuditEvent
from core.authz.actor import CurrentUser, resolve_actor
from core.pagination import encode_cursor, person_page
from plugins.harm_reduction.models import NaloxoneSupply
from tests.plugins.test_harm_reduction import HR, db, make_person


def at(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()


async def supply(world, person: str, supplied_at: str, first: bool = False) -> str:
    body = {"person_id": person, "supplied_at": supplied_at, "kit_type": "nasal"}
    body |= {"supply": "first"} if first else {"supply": "repeat", "repeat_reason": "used"}
    made = await world.post("lm_nurse", f"{HR}/naloxone/supplies", body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def test_a_persons_kits_page_newest_first_each_once_and_each_read_audited(world):
    person = await make_person(world)
    other = await make_person(world)
    tie = at(3)
    oldest = await supply(world, person, at(5), first=True)
    tied = [await supply(world, person, tie), await supply(world, person, tie)]
    newest = await supply(world, person, at(1))
    await supply(world, other, at(2), first=True)

    url = f"{HR}/persons/{person}/naloxone/supplies"
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await world.get("lm_nurse", url, params=params)
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    # Newest first; at one moment the larger id first (the order is (time, id) descending).
    assert seen == [newest, *sorted(tied, reverse=True), oldest]
    assert pages == 2

    async with db(world) as session:
        listed = (
            await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.action == "list",
                    AuditEvent.record_type == "naloxone_supply",
                    AuditEvent.person_id == uuid.UUID(person),
                )
                .order_by(AuditEvent.at)
            )
        ).all()
    assert [event.detail["returned"] for event in listed] == [2, 2]


async def test_a_forged_cursor_is_a_400_naming_the_cursor(world):
    person = await make_person(world)
    await supply(world, person, at(1), first=True)
    url = f"{HR}/persons/{person}/naloxone/supplies"
    naive = encode_cursor([datetime(2026, 1, 1, 10, 0).isoformat(), str(uuid.uuid4())])
    for cursor in (naive, encode_cursor(["not a time", str(uuid.uuid4())]), "%%%"):
        refused = await world.get("lm_nurse", url, params={"cursor": cursor})
        assert refused.status_code == 400, cursor
        assert "cursor" in refused.text


async def test_the_page_holds_only_the_actors_partnership(world):
    """Tenant first: the page filters on the actor's tenant, not only on the person id."""
    person = await make_person(world)
    await supply(world, person, at(1), first=True)
    user = world.users["lc_worker"]
    async with db(world) as session:
        mine = await resolve_actor(
            session,
            CurrentUser(
                id=world.users["lm_nurse"].id,
                username="lm_nurse",
                display_name="",
                is_platform_admin=False,
            ),
            "low-moss",
        )
        elsewhere = await resolve_actor(
            session,
            CurrentUser(id=user.id, username="lc_worker", display_name="", is_platform_admin=False),
            "leicester",
        )
        assert mine is not None and elsewhere is not None
        at_home, _ = await person_page(
            session, mine, NaloxoneSupply.supplied_at, uuid.UUID(person), None, 10, audit_as="t"
        )
        abroad, _ = await person_page(
            session,
            elsewhere,
            NaloxoneSupply.supplied_at,
            uuid.UUID(person),
            None,
            10,
            audit_as="t",
        )
    assert len(at_home) == 1
    assert abroad == []
