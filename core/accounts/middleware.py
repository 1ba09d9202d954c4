"""Authentication: a bearer token (scripts) or the server-side session cookie (pages)."""

from __future__ import annotations

import uuid

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select

from core.accounts.models import User
from core.accounts.services import session_is_fresh, user_for_token
from core.authz.actor import CurrentUser


def _current(user: User, token_id: uuid.UUID | None = None) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_platform_admin=user.is_platform_admin,
        token_id=token_id,
    )


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
            user_id, issued_at = data.get("uid"), data.get("iat")
            if user_id and issued_at:
                user = await session.scalar(
                    select(User).where(User.id == uuid.UUID(user_id), User.is_active.is_(True))
                )
                absolute = state.settings.security.session_absolute_hours
                if user is not None and session_is_fresh(
                    issued_at, user.password_changed_at, absolute
                ):
                    return AuthenticationResult(user=_current(user), auth="session")
                connection.clear_session()
        raise NotAuthorizedException("Sign in required")
