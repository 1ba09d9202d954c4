"""Using an invitation: the one-time link, or the temporary password at first sign-in.

Either way the person chooses their own password and the invitation is spent. A link that
is unknown, used, revoked, expired, or whose membership has ended, is refused alike. A
wrong temporary password counts towards the account's lock-out like a wrong password.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.accounts.passwords import hash_password, password_problem, verify_password
from core.accounts.services import AccountLocked, count_failure, token_digest
from core.administration.models import Invitation, InvitationKind
from core.audit.services import record
from core.db.base import utcnow
from core.errors import RuleViolation
from core.settings import SecuritySettings
from core.tenancy.models import Tenant


async def _tenant_id(session: AsyncSession, slug: str) -> uuid.UUID | None:
    return await session.scalar(
        select(Tenant.id).where(Tenant.slug == slug, Tenant.is_active.is_(True))
    )


def _usable(tenant_id: uuid.UUID) -> tuple[object, ...]:
    return (
        Invitation.tenant_id == tenant_id,
        Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
        Membership.is_active.is_(True),
    )


async def find_link(
    session: AsyncSession, tenant_slug: str, token: str
) -> tuple[Invitation, User] | None:
    tenant_id = await _tenant_id(session, tenant_slug)
    if tenant_id is None or not 20 <= len(token) <= 100:
        return None
    row = (
        await session.execute(
            select(Invitation, User)
            .join(
                Membership,
                (Membership.tenant_id == Invitation.tenant_id)
                & (Membership.id == Invitation.membership_id),
            )
            .join(User, User.id == Invitation.user_id)
            .where(
                *_usable(tenant_id),
                Invitation.kind == InvitationKind.LINK.value,
                Invitation.secret_hash == token_digest(token),
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def _choose(session: AsyncSession, invitation: Invitation, user: User, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise RuleViolation(f"Your password {problem}", field="password")
    now = utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    invitation.used_at = now
    record(
        session,
        None,
        "accept_invitation",
        "membership",
        invitation.membership_id,
        tenant_id=invitation.tenant_id,
        user_id=user.id,
        detail={"how": invitation.kind},
    )


async def redeem_link(
    session: AsyncSession, tenant_slug: str, token: str, password: str
) -> User | None:
    """The person's user, with their password set; None for a link that does not work."""
    found = await find_link(session, tenant_slug, token)
    if found is None:
        return None
    invitation, user = found
    _choose(session, invitation, user, password)
    await session.commit()
    return user


async def redeem_temporary(
    session: AsyncSession,
    username: str,
    temporary: str,
    password: str,
    security: SecuritySettings,
) -> User | None:
    """Raises AccountLocked while the account is locked; None when the answers do not match.

    Asked before sign-in, so with no partnership in the address: the username finds the
    account's memberships, and a pending temporary password in any active partnership.
    """
    row = (
        await session.execute(
            select(Invitation, User)
            .join(
                Membership,
                (Membership.tenant_id == Invitation.tenant_id)
                & (Membership.id == Invitation.membership_id),
            )
            .join(User, User.id == Membership.user_id)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(
                User.username == username.strip().lower(),
                Tenant.is_active.is_(True),
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
                Membership.is_active.is_(True),
                Invitation.kind == InvitationKind.TEMPORARY_PASSWORD.value,
            )
            .order_by(Invitation.created_at.desc())
            .limit(1)
        )
    ).one_or_none()
    if row is None:
        verify_password(None, temporary)  # the same time whether or not the name exists
        return None
    invitation, user = row
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(int((user.locked_until - now).total_seconds()) + 1)
    if not verify_password(invitation.secret_hash, temporary.strip()):
        count_failure(user, security)
        record(session, None, "login_failed", "user", user.id, user_id=user.id)
        await session.commit()
        return None
    _choose(session, invitation, user, password)
    await session.commit()
    return user
