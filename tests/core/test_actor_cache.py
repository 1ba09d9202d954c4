"""The cached actor (issue 14): reused while nothing about the member changed, dropped on
the very next request once anything did, whichever process (here: another engine) made
the change."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from core.accounts.models import Membership, User
from core.authz.actor import Actor
from core.authz.actor_cache import actor_generations, bump_actor_generation
from core.authz.models import BreakGlassGrant
from core.db.base import utcnow
from tests.core.authz.test_caseload_order import publish_scoped
from tests.core.authz.test_insider import counting_statements, db, make_person

LM = "/api/v1/t/low-moss"
LIST = f"{LM}/persons"
MEMBERSHIP_READ = re.compile(r"\bFROM\s+tenants\b.*\bJOIN\s+memberships\b", re.S | re.I)
STAMP_READ = re.compile(r"\bFROM\s+tenants\s+LEFT OUTER JOIN\s+actor_generations\b", re.S | re.I)


def cached(world: Any, username: str) -> Actor | None:
    entry = world.client.app.state.actor_cache.entries.get((world.users[username].id, "low-moss"))
    return None if entry is None else entry[0]


async def generation(world: Any) -> int:
    async with db(world) as session:
        found = await session.scalar(
            select(actor_generations.c.generation).where(
                actor_generations.c.tenant_id == world.tenants["low-moss"].id
            )
        )
    return int(found or 0)


async def warm(world: Any, username: str) -> None:
    response = await world.get(username, LIST, params={"limit": 5})
    assert response.status_code == 200, response.text
    assert cached(world, username) is not None


async def test_a_cached_actor_is_reused_with_one_stamp_read(world: Any) -> None:
    await warm(world, "lm_worker")
    cache = world.client.app.state.actor_cache
    hits = cache.hits
    with counting_statements() as seen:
        response = await world.get("lm_worker", LIST, params={"limit": 5})
    assert response.status_code == 200, response.text
    assert cache.hits == hits + 1
    assert not [s for s in seen if MEMBERSHIP_READ.search(s)], seen
    assert len([s for s in seen if STAMP_READ.search(s)]) == 1, seen


async def test_a_deactivated_membership_is_refused_on_the_next_request(world: Any) -> None:
    await warm(world, "lm_worker")
    async with db(world) as session:
        membership = await session.scalar(
            select(Membership).where(Membership.user_id == world.users["lm_worker"].id)
        )
        membership.is_active = False
        await session.commit()
    response = await world.get("lm_worker", LIST, params={"limit": 5})
    assert response.status_code == 404, response.text
    assert cached(world, "lm_worker") is None


async def test_a_role_change_is_seen_on_the_next_request(world: Any) -> None:
    person = await make_person(world)
    await warm(world, "lm_worker")
    assert (await world.get("lm_worker", f"{LIST}/{person}")).status_code == 200
    async with db(world) as session:
        membership = await session.scalar(
            select(Membership).where(Membership.user_id == world.users["lm_worker"].id)
        )
        membership.roles = ["analyst"]  # analysts see no person at all
        await session.commit()
    assert (await world.get("lm_worker", f"{LIST}/{person}")).status_code == 404
    actor = cached(world, "lm_worker")
    assert actor is not None and actor.roles == ("analyst",)


async def test_a_core_write_with_a_bump_is_seen_on_the_next_request(world: Any) -> None:
    await warm(world, "lm_worker")
    before = await generation(world)
    async with db(world) as session:
        await session.execute(
            update(Membership)
            .where(Membership.user_id == world.users["lm_worker"].id)
            .values(roles=["analyst"])
        )
        await bump_actor_generation(session, world.tenants["low-moss"].id)
        await session.commit()
    assert await generation(world) > before
    await world.get("lm_worker", LIST, params={"limit": 5})
    actor = cached(world, "lm_worker")
    assert actor is not None and actor.roles == ("analyst",)


async def test_a_deactivated_user_is_refused_and_bumps_their_tenants(world: Any) -> None:
    await warm(world, "lm_worker")
    before = await generation(world)
    async with db(world) as session:
        user = await session.get(User, world.users["lm_worker"].id)
        user.is_active = False
        await session.commit()
    assert await generation(world) == before + 1
    response = await world.get("lm_worker", LIST, params={"limit": 5})
    assert response.status_code == 401, response.text


async def test_a_sign_in_does_not_bump_the_generation(world: Any) -> None:
    before = await generation(world)
    async with db(world) as session:
        user = await session.get(User, world.users["lm_worker"].id)
        user.last_login_at = utcnow()
        await session.commit()
    assert await generation(world) == before


async def test_a_new_protocol_version_is_seen_on_the_next_request(world: Any) -> None:
    await warm(world, "lm_worker")
    old = cached(world, "lm_worker")
    assert old is not None
    await publish_scoped(world)
    await world.get("lm_worker", LIST, params={"limit": 5})
    new = cached(world, "lm_worker")
    assert new is not None and new.policy_version == old.policy_version + 1


async def test_a_new_break_glass_grant_is_seen_on_the_next_request(world: Any) -> None:
    person = await make_person(world)
    await warm(world, "lm_sacro")
    before = cached(world, "lm_sacro")
    assert before is not None and before.break_glass is False
    async with db(world) as session:
        session.add(
            BreakGlassGrant(
                tenant_id=world.tenants["low-moss"].id,
                user_id=world.users["lm_sacro"].id,
                person_id=uuid.UUID(person),
                category="health",
                reason="Overdose risk tonight",
                expires_at=utcnow() + timedelta(minutes=30),
            )
        )
        await session.commit()
    await world.get("lm_sacro", LIST, params={"limit": 5})
    after = cached(world, "lm_sacro")
    assert after is not None and after.break_glass is True
