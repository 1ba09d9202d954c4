"""Sign-in with back-off after repeated failures, bearer tokens, user management."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import ApiToken, Membership, User, UserSecondFactor
from core.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from core.accounts.schemas import MembershipOut, UserOut
from core.audit.services import record
from core.db.base import utcnow
from core.errors import RuleViolation
from core.settings import SecuritySettings
from core.tenancy.models import Organisation, Tenant


class AccountLocked(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


@dataclass(frozen=True)
class IssuedToken:
    token: str
    row: ApiToken


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def authenticate(
    session: AsyncSession, username: str, password: str, security: SecuritySettings
) -> User | None:
    """Check a password. Each run of failures past the limit doubles the lock-out."""
    now = utcnow()
    user = (
        await session.execute(select(User).where(User.username == username.strip().lower()))
    ).scalar_one_or_none()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(int((user.locked_until - now).total_seconds()) + 1)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not user.is_active or not ok:
        if user is not None:
            count_failure(user, security)
            record(session, None, "login_failed", "user", user.id, user_id=user.id)
        await session.commit()
        return None
    # With a second factor the password alone clears nothing: else guessing codes, each
    # try after the right password, would never reach the lock-out.
    enrolled = await session.scalar(
        select(UserSecondFactor.user_id).where(
            UserSecondFactor.user_id == user.id, UserSecondFactor.enabled_at.is_not(None)
        )
    )
    if enrolled is None:
        user.failed_logins = 0
        user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def count_failure(user: User, security: SecuritySettings) -> None:
    """One failed password or second-factor code; past the limit each doubles the lock-out."""
    user.failed_logins += 1
    over = user.failed_logins - security.login_max_failures
    if over >= 0:
        seconds = min(security.login_lockout_seconds * 2**over, 3600)
        user.locked_until = utcnow() + timedelta(seconds=seconds)


async def issue_token(
    session: AsyncSession, user: User, security: SecuritySettings, name: str = "login"
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=token_digest(token),
        name=name,
        expires_at=utcnow() + timedelta(days=security.token_days),
    )
    session.add(row)
    return IssuedToken(token=token, row=row)


async def user_for_token(session: AsyncSession, token: str) -> tuple[User, ApiToken] | None:
    now = utcnow()
    row = (
        await session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(
                ApiToken.token_hash == token_digest(token),
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
                User.is_active.is_(True),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    user, api_token = row
    # Writing last_used_at on every request would serialise SQLite writers; once a minute is enough.
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
        await session.execute(
            update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now)
        )
        await session.commit()
    return user, api_token


async def revoke_token(session: AsyncSession, token_id: uuid.UUID) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def user_out(session: AsyncSession, user: User) -> UserOut:
    rows = (
        await session.execute(
            select(Membership, Tenant, Organisation)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .join(
                Organisation,
                (Organisation.tenant_id == Membership.tenant_id)
                & (Organisation.id == Membership.organisation_id),
            )
            .where(Membership.user_id == user.id, Membership.is_active.is_(True))
            .order_by(Tenant.name)
        )
    ).all()
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_platform_admin=user.is_platform_admin,
        memberships=[
            MembershipOut(
                tenant=t.slug,
                tenant_name=t.name,
                organisation=o.slug,
                organisation_name=o.name,
                organisation_kind=o.kind,
                roles=list(m.roles),
            )
            for m, t, o in rows
        ],
    )


async def create_user(
    session: AsyncSession,
    username: str,
    display_name: str,
    password: str,
    *,
    is_platform_admin: bool = False,
    email: str | None = None,
) -> User:
    username = username.strip().lower()
    problem = password_problem(password)
    if problem:
        raise RuleViolation(f"Password {problem}", field="password")
    exists = await session.scalar(select(User.id).where(User.username == username))
    if exists:
        raise RuleViolation(f"A user named {username!r} already exists", field="username")
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=hash_password(password),
        is_platform_admin=is_platform_admin,
    )
    session.add(user)
    await session.flush()
    return user


async def reset_password(session: AsyncSession, username: str, password: str) -> User:
    problem = password_problem(password)
    if problem:
        raise RuleViolation(f"Password {problem}", field="password")
    user = (
        await session.execute(select(User).where(User.username == username.strip().lower()))
    ).scalar_one_or_none()
    if user is None:
        raise RuleViolation(f"No user named {username!r}", field="username")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    # A new password ends every existing token.
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return user


def session_is_fresh(issued_at: float, password_changed_at: datetime, absolute_hours: int) -> bool:
    issued = datetime.fromtimestamp(issued_at, tz=password_changed_at.tzinfo)
    return issued >= password_changed_at and utcnow() - issued < timedelta(hours=absolute_hours)
