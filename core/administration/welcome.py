"""/t/{tenant}/welcome/{token} and /first-sign-in: a new member chooses a password.

Both are reached before sign-in. A link that does not work (unknown, used, expired, or
the membership ended) gets one plain page, which says nothing of why; a wrong temporary
password gets the same message as a wrong username. Success signs the person in under a
fresh session id.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.controllers import login_rate_limit
from core.accounts.services import AccountLocked
from core.accounts.sessions import start_session
from core.administration.invitations import find_link, redeem_link, redeem_temporary
from core.errors import RuleViolation
from core.web.context import render
from core.web.forms import FormErrors, form_values

WELCOME = "/t/{tenant:str}/welcome/{token:str}"
FIRST = "/first-sign-in"


def _check_new_password(values: dict[str, str], errors: FormErrors) -> None:
    password = values.get("password", "")
    if not password:
        errors.add("password", "Enter the password you want to use")
    elif len(password) < 12:
        errors.add("password", "Your password must be at least 12 characters long")
    elif len(password) > 1024:
        errors.add("password", "Your password must be 1024 characters or fewer")
    if password and values.get("confirm", "") != password:
        errors.add("confirm", "The passwords do not match: type the same password twice")


def _invalid_link(request: Request[Any, Any, Any]) -> Template:
    return render(request, "administration/welcome_invalid.html", status_code=404)


@get(WELCOME, exclude_from_auth=True, include_in_schema=False)
async def welcome_page(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: FromPath[str],
    token: FromPath[str],
) -> Template:
    found = await find_link(db_session, tenant, token)
    if found is None:
        return _invalid_link(request)
    _, user = found
    return render(request, "administration/welcome.html", user=user, values={}, errors=FormErrors())


@post(
    WELCOME,
    exclude_from_auth=True,
    include_in_schema=False,
    middleware=[login_rate_limit.middleware],
)
async def welcome_choose(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: FromPath[str],
    token: FromPath[str],
) -> Template | Redirect:
    found = await find_link(db_session, tenant, token)
    if found is None:
        return _invalid_link(request)
    values = form_values(await request.form())
    errors = FormErrors()
    _check_new_password(values, errors)
    user = None
    if not errors:
        try:
            user = await redeem_link(db_session, tenant, token, values["password"])
        except RuleViolation as exc:
            await db_session.rollback()
            errors.add("password", str(exc.detail))
    if user is None:
        if not errors:
            return _invalid_link(request)
        return render(
            request,
            "administration/welcome.html",
            user=found[1],
            values={},  # a password is never sent back to the page
            errors=errors,
            status_code=400,
        )
    start_session(request, user.id)
    return Redirect(f"/t/{tenant}/caseload")


@get(FIRST, exclude_from_auth=True, include_in_schema=False)
async def first_sign_in_page(request: Request[Any, Any, Any]) -> Template:
    return render(request, "administration/first_sign_in.html", values={}, errors=FormErrors())


@post(
    FIRST,
    exclude_from_auth=True,
    include_in_schema=False,
    middleware=[login_rate_limit.middleware],
)
async def first_sign_in(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("username"):
        errors.add("username", "Enter your username")
    if not values.get("temporary"):
        errors.add("temporary", "Enter the temporary password you were given")
    _check_new_password(values, errors)
    user = None
    if not errors:
        try:
            user = await redeem_temporary(
                db_session,
                values["username"],
                values["temporary"],
                values["password"],
                state.settings.security,
            )
        except AccountLocked:
            errors.add(
                "username",
                "Too many failed attempts for this account. Wait a few minutes, then try again",
            )
        except RuleViolation as exc:
            await db_session.rollback()
            errors.add("password", str(exc.detail))
        else:
            if user is None:
                errors.add(
                    "username",
                    "Enter your username and the temporary password exactly as you were given "
                    "them. A temporary password works once, for 7 days",
                )
    if user is None:
        kept = {"username": values.get("username", "")}
        return render(
            request,
            "administration/first_sign_in.html",
            values=kept,
            errors=errors,
            status_code=400,
        )
    start_session(request, user.id)
    return Redirect("/")  # the partnership, or a choice of them


HANDLERS = [welcome_page, welcome_choose, first_sign_in_page, first_sign_in]
