"""/api/v1/auth: sign in (token + session cookie), sign out, who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.accounts.schemas import LoginRequest, LoginResponse, Message, UserOut
from core.accounts.second_factor import PASSED, at_login
from core.accounts.services import (
    AccountLocked,
    authenticate,
    issue_token,
    revoke_token,
    user_out,
)
from core.accounts.sessions import start_session
from core.audit.services import record
from core.authz.actor import CurrentUser
from core.hookspecs import hookimpl


# Per client address, in front of the per-account back-off: slows guessing across accounts.
class LoginRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate limit, with the number from the settings of the app it serves."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.max_requests = scope["app"].state.settings.security.login_attempts_per_minute
        await super().__call__(scope, receive, send)


login_rate_limit = RateLimitConfig(
    rate_limit=("minute", 20), store="rate_limit", middleware_class=LoginRateLimitMiddleware
)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/login",
        exclude_from_auth=True,
        middleware=[login_rate_limit.middleware],
        status_code=200,
        summary="Sign in: returns a bearer token and sets a session cookie",
    )
    async def login(
        self,
        data: JSONBody[LoginRequest],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> Response[LoginResponse | Message]:
        security = state.settings.security
        try:
            user = await authenticate(db_session, data.username, data.password, security)
            passed = user is not None and await at_login(db_session, user, data.otp, security)
        except AccountLocked as locked:
            return Response(
                Message("Too many failed sign-in attempts. Try again later."),
                status_code=429,
                headers={"Retry-After": str(locked.retry_after)},
            )
        if user is None:
            raise NotAuthorizedException("Invalid username or password")
        issued = await issue_token(db_session, user, security)
        issued.row.second_factor = passed
        record(db_session, None, "login", "user", user.id, user_id=user.id)
        await db_session.commit()
        start_session(
            request, user.id, token_id=issued.row.id, **({PASSED: True} if passed else {})
        )
        return Response(
            LoginResponse(
                token=issued.token,
                expires_at=issued.row.expires_at,
                user=await user_out(db_session, user),
            )
        )

    @post("/logout", status_code=200, summary="Sign out: revokes this token, ends the session")
    async def logout(
        self, request: Request[CurrentUser, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Message:
        if request.user.token_id is not None:
            await revoke_token(db_session, request.user.token_id)
        record(db_session, None, "logout", "user", request.user.id, user_id=request.user.id)
        await db_session.commit()
        request.clear_session()
        return Message("Signed out")

    @get("/me", summary="The signed-in user and their partnerships")
    async def me(
        self, request: Request[CurrentUser, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> UserOut:
        user = await db_session.get(User, request.user.id)
        assert user is not None
        return await user_out(db_session, user)


@hookimpl
def register_routes() -> list[Any]:
    return [AuthController]
