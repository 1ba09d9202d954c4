"""Helpers for the plugin tests: extra members, people with liberation dates, housing steps."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.accounts.services import issue_token
from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory

LM = "/api/v1/t/low-moss"
LC = "/api/v1/t/leicester"
PERTH = "/api/v1/t/hmp-perth"
HOUSING = f"{LM}/housing"
# The housing sub-group's officer at Glasgow City Council, as in the demo (lowmoss.housing).
OFFICER = "lm_housing"


@asynccontextmanager
async def db(world: Any) -> AsyncIterator[AsyncSession]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def add_member(world: Any, username: str, tenant: str, org: str, roles: list[str]) -> None:
    """A user with a membership and a bearer token, added next to the world's users."""
    async with db(world) as session:
        user = User(username=username, display_name=username, password_hash="unused")
        session.add(user)
        await session.flush()
        session.add(
            Membership(
                tenant_id=world.tenants[tenant].id,
                user_id=user.id,
                organisation_id=world.organisations[(tenant, org)].id,
                roles=roles,
            )
        )
        issued = await issue_token(session, user, world.settings.security)
        await session.commit()
    world.tokens[username] = issued.token
    world.users[username] = user


async def add_officer(world: Any) -> None:
    await add_member(world, OFFICER, "low-moss", "glasgow-city-council", ["housing_officer"])


async def make_person(
    world: Any,
    liberation: date | None,
    *,
    username: str = "lm_worker",
    base: str = LM,
    family_name: str = "Housed",
) -> str:
    body: dict[str, Any] = {
        "given_name": "Alex",
        "family_name": family_name,
        "date_of_birth": "1985-06-07",
    }
    if liberation is not None:
        body["liberation_date"] = liberation.isoformat()
    response = await world.post(username, f"{base}/persons", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def open_record(
    world: Any,
    person_id: str,
    authority: str | None = "glasgow-city-council",
    needs: str | None = "One-bedroom tenancy near family.",
    *,
    tenant: str = "low-moss",
    username: str = OFFICER,
) -> Any:
    body: dict[str, Any] = {}
    if authority is not None:
        body["local_authority_id"] = world.org_id(tenant, authority)
    if needs is not None:
        body["needs"] = needs
    return await world.post(username, f"/api/v1/t/{tenant}/housing/persons/{person_id}", body)


async def step(
    world: Any, person_id: str, status: str, on: date | None = None, username: str = OFFICER
) -> Any:
    body: dict[str, Any] = {"status": status}
    if on is not None:
        body["on_date"] = on.isoformat()
    return await world.post(username, f"{HOUSING}/persons/{person_id}/steps", body)


async def audit_rows(world: Any, **where: Any) -> list[AuditEvent]:
    async with db(world) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.at)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list((await session.scalars(stmt)).all())


def uid(value: str) -> uuid.UUID:
    return uuid.UUID(value)
