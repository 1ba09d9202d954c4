"""Account administration used by the CLI (and later the lead's pages)."""

from __future__ import annotations

from litestar.exceptions import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.accounts.services import create_user, reset_password
from core.audit.services import record
from core.tenancy.models import Organisation, Tenant


async def create_member(
    session: AsyncSession,
    username: str,
    display_name: str,
    password: str,
    *,
    tenant: str | None,
    organisation: str | None,
    roles: list[str],
    is_platform_admin: bool = False,
) -> User:
    """Raises ValueError with a plain message for anything wrong; nothing is written then."""
    try:
        user = await create_user(
            session, username, display_name, password, is_platform_admin=is_platform_admin
        )
    except HTTPException as exc:
        raise ValueError(exc.detail) from None
    if tenant:
        t = await session.scalar(select(Tenant).where(Tenant.slug == tenant))
        if t is None:
            raise ValueError(f"No partnership {tenant!r}; run `throughcare tenants sync` first")
        org = await session.scalar(
            select(Organisation).where(
                Organisation.tenant_id == t.id, Organisation.slug == organisation
            )
        )
        if org is None:
            raise ValueError(f"No organisation {organisation!r} in {tenant}")
        unknown = sorted(set(roles) - set(t.roles))
        if unknown:
            raise ValueError(f"Unknown role(s) for {tenant}: {', '.join(unknown)}")
        session.add(
            Membership(tenant_id=t.id, user_id=user.id, organisation_id=org.id, roles=roles)
        )
        record(session, None, "create", "membership", user.id, tenant_id=t.id)
    record(session, None, "create", "user", user.id, user_id=user.id)
    await session.commit()
    return user


async def reset_user_password(session: AsyncSession, username: str, password: str) -> User:
    try:
        user = await reset_password(session, username, password)
    except HTTPException as exc:
        raise ValueError(exc.detail) from None
    record(session, None, "reset_password", "user", user.id, user_id=user.id)
    await session.commit()
    return user
