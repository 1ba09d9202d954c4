"""The second factor: TOTP (RFC 6238) with one-use recovery codes.

A user enrols (a secret, shown once as a QR code and as text), confirms with a first code
(which switches it on and shows ten recovery codes, once), and from then on signs in with
password and code. Failed codes count toward the same per-account lock-out as passwords;
an accepted time step is stored so the same code cannot be used twice.

Whether a tenant requires it is its file's ``second_factor`` setting; when the file does
not say, production requires it and development/test (the demo) do not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import RecoveryCode, User, UserSecondFactor
from core.accounts.services import AccountLocked, count_failure
from core.accounts.sessions import start_session
from core.audit.services import record
from core.db.base import utcnow
from core.errors import RuleViolation
from core.settings import SecuritySettings

ISSUER = "Throughcare"
RECOVERY_CODE_COUNT = 10
# One step either side of now: a phone clock a little off, or a code typed as it turned.
VALID_WINDOW = 1
# How long a password-passed sign-in waits for its code before it starts again.
PENDING_SECONDS = 300

# Session keys. A session waiting for its code has no "uid", so the authentication
# middleware treats it as signed out; "mfa" marks a session that passed the code.
PENDING_UID = "mfa_pending"
PENDING_AT = "mfa_pending_at"
PASSED = "mfa"


class SecondFactorRequired(PermissionDeniedException):
    """A tenant that requires the second factor, reached by a session or token without it."""

    def __init__(self, enrolled: bool) -> None:
        super().__init__(
            detail="This partnership requires a second factor: "
            + (
                "sign in again with your authenticator code"
                if enrolled
                else "set up an authenticator app (/second-factor), then sign in with its code"
            )
        )
        self.enrolled = enrolled


def is_required(policy: str | None, environment: str) -> bool:
    if policy is None:
        return environment == "production"
    return policy == "required"


def _fernet(security: SecuritySettings) -> Fernet:
    # Derived, not the secret key itself: the key also signs sessions and CSRF tokens.
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"throughcare second factor"
    ).derive(security.secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str, security: SecuritySettings) -> str:
    return _fernet(security).encrypt(secret.encode()).decode()


def _decrypt(token: str, security: SecuritySettings) -> str | None:
    try:
        return _fernet(security).decrypt(token.encode()).decode()
    except InvalidToken:
        return None  # the secret key changed: the factor cannot be used, only reset


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5)
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str


async def enabled_factor(session: AsyncSession, user_id: uuid.UUID) -> UserSecondFactor | None:
    factor = await session.get(UserSecondFactor, user_id)
    return factor if factor is not None and factor.enabled_at is not None else None


async def is_enrolled(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return await enabled_factor(session, user_id) is not None


async def start_enrolment(
    session: AsyncSession, user: User, security: SecuritySettings
) -> Enrolment:
    """A new secret, not yet in force: sign-in asks for codes only after confirmation."""
    factor = await session.get(UserSecondFactor, user.id)
    if factor is not None and factor.enabled_at is not None:
        raise RuleViolation("A second factor is already set up; turn it off first", field="code")
    secret = pyotp.random_base32()
    if factor is None:
        factor = UserSecondFactor(user_id=user.id, secret_encrypted="")
        session.add(factor)
    factor.secret_encrypted = _encrypt(secret, security)
    factor.last_used_step = None
    uri = otpauth_uri(secret, user.username)
    return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


def otpauth_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", border=4
    )


def pending_secret(factor: UserSecondFactor, security: SecuritySettings) -> str | None:
    """The secret of an enrolment not yet confirmed (to show again after a mistyped code)."""
    if factor.enabled_at is not None:
        return None
    return _decrypt(factor.secret_encrypted, security)


async def _accept_totp(
    session: AsyncSession,
    factor: UserSecondFactor,
    code: str,
    security: SecuritySettings,
) -> bool:
    secret = _decrypt(factor.secret_encrypted, security)
    if secret is None or not (len(code) == 6 and code.isdigit()):
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.fromtimestamp(time.time(), UTC))
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            # Conditional, so two requests racing with one code cannot both pass.
            result = await session.execute(
                update(UserSecondFactor)
                .where(
                    UserSecondFactor.user_id == factor.user_id,
                    (UserSecondFactor.last_used_step.is_(None))
                    | (UserSecondFactor.last_used_step < step),
                )
                .values(last_used_step=step)
                .execution_options(synchronize_session="fetch")
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
    return False


async def _accept_recovery(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    result = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def confirm_enrolment(
    session: AsyncSession, user: User, code: str, security: SecuritySettings
) -> list[str]:
    """Switch the pending secret on with its first code; returns the recovery codes, once."""
    factor = await session.get(UserSecondFactor, user.id)
    if factor is None or factor.enabled_at is not None:
        raise RuleViolation("Start setting up the second factor first", field="code")
    if not await _accept_totp(session, factor, normalise(code), security):
        raise RuleViolation("Enter the 6-digit code your authenticator app shows now", field="code")
    factor.enabled_at = utcnow()
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(normalise(c))) for c in codes)
    record(session, None, "second_factor_enrolled", "user", user.id, user_id=user.id)
    return codes


async def verify(
    session: AsyncSession, user: User, code: str, security: SecuritySettings
) -> Literal["totp", "recovery"] | None:
    """Check a code (or a recovery code) at sign-in, under the account's lock-out.

    Commits: a failure must be counted even though the request then fails."""
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(int((user.locked_until - now).total_seconds()) + 1)
    factor = await enabled_factor(session, user.id)
    if factor is None:
        return None
    cleaned = normalise(code)
    used: Literal["totp", "recovery"] | None = None
    if await _accept_totp(session, factor, cleaned, security):
        used = "totp"
    elif len(cleaned) == 10 and await _accept_recovery(session, user.id, cleaned):
        used = "recovery"
    if used is None:
        count_failure(user, security)
        record(session, None, "second_factor_failed", "user", user.id, user_id=user.id)
        await session.commit()
        return None
    user.failed_logins = 0
    user.locked_until = None
    action = "recovery_code_used" if used == "recovery" else "second_factor_passed"
    record(session, None, action, "user", user.id, user_id=user.id)
    return used


async def disable(session: AsyncSession, user: User, code: str, security: SecuritySettings) -> bool:
    """Turn the second factor off, with a current code: a stolen session alone cannot."""
    if await verify(session, user, code, security) is None:
        return False
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await session.execute(delete(UserSecondFactor).where(UserSecondFactor.user_id == user.id))
    record(session, None, "second_factor_disabled", "user", user.id, user_id=user.id)
    return True


async def recovery_codes_left(session: AsyncSession, user_id: uuid.UUID) -> int:
    rows = await session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(rows.all())


def start_pending(request: Request[Any, Any, Any], user_id: uuid.UUID) -> None:
    """After the password: a session under a new id that only awaits the code."""
    start_session(request, user_id)  # for its new id; the data is replaced below
    request.set_session({PENDING_UID: str(user_id), PENDING_AT: time.time()})


def pending_user_id(request: Request[Any, Any, Any]) -> uuid.UUID | None:
    """The user whose password passed in this session and whose code is awaited."""
    data = request.scope.get("session") or {}
    uid, at = data.get(PENDING_UID), data.get(PENDING_AT)
    if not uid or not at or time.time() - float(at) > PENDING_SECONDS:
        return None
    try:
        return uuid.UUID(uid)
    except ValueError:
        return None


async def at_login(
    session: AsyncSession, user: User, code: str | None, security: SecuritySettings
) -> bool:
    """The API sign-in's second step, after the password: whether the code was passed.

    A user without a second factor passes nothing (False); one with it must send a code.
    Raises AccountLocked, or NotAuthorizedException for a missing or wrong code."""
    if not await is_enrolled(session, user.id):
        return False
    if not code:
        raise NotAuthorizedException("This account has a second factor: send its code as 'otp'")
    if await verify(session, user, code, security) is None:
        raise NotAuthorizedException("Invalid second factor code")
    return True
