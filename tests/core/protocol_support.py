"""Helpers for the protocol editor's tests: a second lead, the audit trail, the versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.accounts.models import Membership, User
from core.accounts.services import issue_token
from core.audit.models import AuditEvent
from core.db.engine import make_engine, make_session_factory
from core.notifications.models import Notification


async def add_second_lead(world: Any, password_hash: str, username: str = "lm_lead2") -> None:
    """Another partnership lead at Turning Point, signed in like the world's users."""
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            user = User(
                username=username,
                display_name="Second Lead",
                password_hash=password_hash,
                is_platform_admin=False,
            )
            session.add(user)
            await session.flush()
            session.add(
                Membership(
                    tenant_id=world.tenants["low-moss"].id,
                    user_id=user.id,
                    organisation_id=world.organisations[("low-moss", "turning-point-scotland")].id,
                    roles=["partnership_lead"],
                )
            )
            issued = await issue_token(session, user, world.settings.security)
            await session.commit()
            world.tokens[username] = issued.token
            world.users[username] = user
    finally:
        await engine.dispose()


async def audit_actions(world: Any, record_type: str = "protocol") -> list[tuple[str, Any]]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.execute(
                select(AuditEvent.action, AuditEvent.user_id)
                .where(AuditEvent.record_type == record_type)
                .order_by(AuditEvent.at)
            )
            return [(a, u) for a, u in rows.all()]
    finally:
        await engine.dispose()


async def notified(world: Any, kind: str) -> list[Any]:
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.scalars(
                select(Notification.user_id).where(Notification.kind == kind)
            )
            return list(rows.all())
    finally:
        await engine.dispose()
