"""Authentication: a bearer token (scripts) or the server-side session cookie (pages)."""

from __future__ import annotations

import uuid

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import ApiToken, User
from core.accounts.services import session_is_fresh, user_for_token
from core.authz.actor import CurrentUser
from core.db.base import utcnow


def _current(user: User, token_id: uuid.UUID | None = None) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_platform_admin=user.is_platform_admin,
        token_id=token_id,
    )


async def token_is_live(session: AsyncSession, token_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(ApiToken.id).where(
            ApiToken.id == token_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()
        )
    )
    return found is not None


COOKIE_API_WRITE = (
    "A change through the API with the session cookie must be a JSON request from this site; "
    "scripts use 'Authorization: Bearer <token>'"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME_SITE = frozenset({"same-origin", "none"})


def _is_forgeable_api_write(connection: ASGIConnection) -> bool:
    """A cookie-authenticated API write that another site could have made the browser send.

    A cross-site page can make the browser POST a form or text/plain body with the cookie,
    but not a JSON one: that needs a CORS preflight, which this app never grants. So
    cookie writes must be JSON (or have no body), and must not be marked cross-site by
    the browser's Sec-Fetch-Site. This keeps the API free of a CSRF token that no page
    script could read (the CSRF cookie is HttpOnly) while the pages' own scripts, and the
    second-factor enrolment that runs on the sign-in cookie, keep working.
    """
    scope = connection.scope
    if not scope["path"].startswith("/api/") or scope.get("method", "GET") in _SAFE_METHODS:
        return False
    if connection.headers.get("sec-fetch-site", "same-origin") not in _SAME_SITE:
        return True
    content_type = connection.headers.get("content-type")
    if content_type is None:
        return connection.headers.get("content-length", "0") not in ("", "0")
    return content_type.split(";")[0].strip().lower() != "application/json"


def _token_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        state = connection.app.state
        header = connection.headers.get("authorization", "")
        async with state.session_factory() as session:
            if header:
                scheme, _, token = header.partition(" ")
                if scheme.lower() != "bearer" or not token:
                    raise NotAuthorizedException("Use 'Authorization: Bearer <token>'")
                found = await user_for_token(session, token.strip())
                if found is None:
                    raise NotAuthorizedException("Token is invalid, expired or revoked")
                user, api_token = found
                return AuthenticationResult(user=_current(user, api_token.id), auth="token")

            data = connection.scope.get("session") or {}
            if data and _is_forgeable_api_write(connection):
                raise PermissionDeniedException(COOKIE_API_WRITE)
            user_id, issued_at = data.get("uid"), data.get("iat")
            if user_id and issued_at:
                user = await session.scalar(
                    select(User).where(User.id == uuid.UUID(user_id), User.is_active.is_(True))
                )
                absolute = state.settings.security.session_absolute_hours
                token_id = _token_id(data.get("tid"))
                if (
                    user is not None
                    and session_is_fresh(issued_at, user.password_changed_at, absolute)
                    # A sign-in that issued a token ends when that token is revoked.
                    and (token_id is None or await token_is_live(session, token_id))
                ):
                    return AuthenticationResult(user=_current(user, token_id), auth="session")
                connection.clear_session()
        raise NotAuthorizedException("Sign in required")
