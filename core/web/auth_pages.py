"""Sign in, sign out, and choosing a partnership: the pages' side of core/accounts."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import second_factor
from core.accounts.controllers import login_rate_limit
from core.accounts.models import User
from core.accounts.services import AccountLocked, authenticate, revoke_token, user_out
from core.accounts.sessions import start_session
from core.audit.services import record
from core.authz.actor import CurrentUser
from core.web.context import render
from core.web.forms import FormErrors, form_values


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would help a phishing page."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@get("/sign-in", exclude_from_auth=True, include_in_schema=False)
async def sign_in_page(
    request: Request[Any, Any, Any],
    next: Annotated[str | None, QueryParameter(max_length=500)] = None,
    expired: FromQuery[bool] = False,
) -> Template:
    return render(
        request,
        "pages/sign_in.html",
        values={},
        errors=FormErrors(),
        next=safe_next(next),
        expired=expired,
    )


@post(
    "/sign-in",
    exclude_from_auth=True,
    include_in_schema=False,
    middleware=[login_rate_limit.middleware],
)
async def sign_in(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("username"):
        errors.add("username", "Enter your username")
    if not values.get("password"):
        errors.add("password", "Enter your password")
    target = safe_next(values.get("next"))
    user: User | None = None
    if not errors:
        try:
            user = await authenticate(
                db_session, values["username"], values["password"], state.settings.security
            )
        except AccountLocked:
            errors.add(
                "username",
                "Too many failed sign-in attempts for this account. "
                "Wait a few minutes, then try again",
            )
        else:
            if user is None:
                # Never say which of the two was wrong.
                errors.add("username", "Enter a correct username and password")
    if user is None:
        values.pop("password", None)  # a password is never sent back to the page
        return render(
            request,
            "pages/sign_in.html",
            values=values,
            errors=errors,
            next=target,
            expired=False,
            status_code=400,
        )
    if await second_factor.is_enrolled(db_session, user.id):
        await db_session.commit()
        second_factor.start_pending(request, user.id)
        return Redirect(f"/sign-in/second-factor?next={quote(target, safe='/')}")
    record(db_session, None, "login", "user", user.id, user_id=user.id, detail={"via": "page"})
    await db_session.commit()
    start_session(request, user.id)
    return Redirect(target)


@post("/sign-out", include_in_schema=False)
async def sign_out(
    request: Request[CurrentUser, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Redirect:
    if request.user.token_id is not None:  # the token issued by the same sign-in ends too
        await revoke_token(db_session, request.user.token_id)
    record(db_session, None, "logout", "user", request.user.id, user_id=request.user.id)
    await db_session.commit()
    request.clear_session()
    return Redirect("/signed-out")


@get("/signed-out", exclude_from_auth=True, include_in_schema=False)
async def signed_out(request: Request[Any, Any, Any]) -> Template:
    return render(request, "pages/signed_out.html")


@get("/keep-alive", include_in_schema=False, status_code=204)
async def keep_alive() -> None:
    """A signed-in request: the session middleware renews the idle timeout on it."""


class SessionRefreshed(msgspec.Struct):
    """How long the renewed session now lasts without activity, for the page's timers."""

    idle_seconds: int


@post("/session/refresh", include_in_schema=False, status_code=200)
async def session_refresh(state: State) -> SessionRefreshed:
    """Typing in a form is activity: the page posts here (CSRF-checked) while someone types.

    Like any signed-in request the session middleware renews the idle timeout on it; the
    session id is not rotated, as no privilege changes.
    """
    return SessionRefreshed(idle_seconds=state.settings.security.session_idle_minutes * 60)


@get("/", include_in_schema=False)
async def home(
    request: Request[CurrentUser, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Template | Redirect:
    """Straight to the caseload for one partnership; a choice when there are several."""
    user = await db_session.get(User, request.user.id)
    assert user is not None  # the authentication middleware found this active user
    memberships = (await user_out(db_session, user)).memberships
    if len(memberships) == 1:
        return Redirect(f"/t/{memberships[0].tenant}/caseload")
    return render(request, "pages/choose.html", memberships=memberships)
