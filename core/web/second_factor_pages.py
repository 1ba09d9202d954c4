"""The pages' second factor: the code at sign-in, enrolment with a QR code, turning it off.

Sign-in with a password (core.web.auth_pages) leaves a session that is only *pending*:
it has no user id, so nothing but the code page accepts it. The code page then starts
the signed-in session under a new id, marked as having passed the second factor.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import second_factor
from core.accounts.controllers import login_rate_limit
from core.accounts.models import User, UserSecondFactor
from core.accounts.services import AccountLocked
from core.accounts.sessions import start_session
from core.audit.services import record
from core.authz.actor import CurrentUser
from core.errors import RuleViolation
from core.hookspecs import hookimpl
from core.web.auth_pages import safe_next
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from core.web.forms import FormErrors, form_values

NextParam = Annotated[str | None, QueryParameter(max_length=500)]
LOCKED = "Too many failed attempts for this account. Wait a few minutes, then try again"


def _verify_page(
    request: Request[Any, Any, Any], target: str, errors: FormErrors, status_code: int = 200
) -> Template:
    return render(
        request,
        "pages/second_factor_verify.html",
        values={},
        errors=errors,
        next=target,
        status_code=status_code,
    )


@get("/sign-in/second-factor", exclude_from_auth=True)
async def verify_page(
    request: Request[Any, Any, Any], next: NextParam = None
) -> Template | Redirect:
    target = safe_next(next)
    if second_factor.pending_user_id(request) is None:
        return Redirect(f"/sign-in?next={quote(target, safe='/')}")
    return _verify_page(request, target, FormErrors())


@post("/sign-in/second-factor", exclude_from_auth=True, middleware=[login_rate_limit.middleware])
async def verify_code(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> Template | Redirect:
    values = form_values(await request.form())
    target = safe_next(values.get("next"))
    user_id = second_factor.pending_user_id(request)
    user = await db_session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        return Redirect(f"/sign-in?next={quote(target, safe='/')}")
    errors = FormErrors()
    if not values.get("code"):
        errors.add("code", "Enter the code from your authenticator app")
        return _verify_page(request, target, errors, 400)
    try:
        used = await second_factor.verify(db_session, user, values["code"], state.settings.security)
    except AccountLocked:
        errors.add("code", LOCKED)
        return _verify_page(request, target, errors, 400)
    if used is None:
        errors.add("code", "The code is not right. Enter the code your app shows now")
        return _verify_page(request, target, errors, 400)
    record(
        db_session,
        None,
        "login",
        "user",
        user.id,
        user_id=user.id,
        detail={"via": "page", "second_factor": used},
    )
    await db_session.commit()
    start_session(request, user.id, **{second_factor.PASSED: True})
    return Redirect(target)


async def _manage(
    request: Request[CurrentUser, Any, Any],
    session: AsyncSession,
    *,
    errors: FormErrors | None = None,
    message: str | None = None,
    target: str = "/",
    required: bool = False,
    status_code: int = 200,
) -> Template:
    enabled = await second_factor.is_enrolled(session, request.user.id)
    left = await second_factor.recovery_codes_left(session, request.user.id) if enabled else 0
    return render(
        request,
        "pages/second_factor.html",
        values={},
        errors=errors or FormErrors(),
        enabled=enabled,
        recovery_left=left,
        message=message,
        next=target,
        required=required,
        status_code=status_code,
    )


@get("/second-factor")
async def manage_page(
    request: Request[CurrentUser, Any, Any],
    db_session: NamedDependency[AsyncSession],
    next: NextParam = None,
    required: FromQuery[bool] = False,
) -> Template:
    return await _manage(request, db_session, target=safe_next(next), required=required)


@post("/second-factor/enrol")
async def enrol(
    request: Request[CurrentUser, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Template:
    values = form_values(await request.form())
    user = await db_session.get(User, request.user.id)
    assert user is not None  # the authentication middleware found this active user
    try:
        enrolment = await second_factor.start_enrolment(db_session, user, state.settings.security)
    except RuleViolation as exc:
        errors = FormErrors()
        errors.add("code", str(exc.detail))
        return await _manage(request, db_session, errors=errors, status_code=400)
    await db_session.commit()
    return render(
        request,
        "pages/second_factor_enrol.html",
        values={},
        errors=FormErrors(),
        secret=enrolment.secret,
        qr_svg=enrolment.qr_svg,
        next=safe_next(values.get("next")),
    )


@post("/second-factor/confirm")
async def confirm(
    request: Request[CurrentUser, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Template:
    values = form_values(await request.form())
    target = safe_next(values.get("next"))
    user = await db_session.get(User, request.user.id)
    assert user is not None
    security = state.settings.security
    try:
        codes = await second_factor.confirm_enrolment(
            db_session, user, values.get("code", ""), security
        )
    except RuleViolation as exc:
        # The same secret again, so the app already holding it keeps working.
        factor = await db_session.get(UserSecondFactor, user.id)
        secret = second_factor.pending_secret(factor, security) if factor else None
        if secret is None:
            return await _manage(request, db_session, target=target)
        errors = FormErrors()
        errors.add("code", str(exc.detail))
        return render(
            request,
            "pages/second_factor_enrol.html",
            values={},
            errors=errors,
            secret=secret,
            qr_svg=second_factor.qr_svg(second_factor.otpauth_uri(secret, user.username)),
            next=target,
            status_code=400,
        )
    await db_session.commit()
    # Shown a code: this session has passed the second factor; a new id for the change.
    start_session(request, user.id, token_id=request.user.token_id, **{second_factor.PASSED: True})
    return render(request, "pages/second_factor_codes.html", codes=codes, next=target)


@post("/second-factor/disable", middleware=[login_rate_limit.middleware])
async def disable(
    request: Request[CurrentUser, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Template:
    values = form_values(await request.form())
    user = await db_session.get(User, request.user.id)
    assert user is not None
    errors = FormErrors()
    try:
        ok = await second_factor.disable(
            db_session, user, values.get("code", ""), state.settings.security
        )
    except AccountLocked:
        errors.add("code", LOCKED)
        ok = False
    if not ok:
        errors.add("code", "The code is not right. Enter the code your app shows now")
        return await _manage(request, db_session, errors=errors, status_code=400)
    await db_session.commit()
    return await _manage(request, db_session, message="The second factor is turned off")


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[verify_page, verify_code, manage_page, enrol, confirm, disable],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


@hookimpl
def register_routes() -> list[Any]:
    return [page_router()]
