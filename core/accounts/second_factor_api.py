"""/api/v1/auth/second-factor: enrol, confirm, status and turning the second factor off."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.controllers import login_rate_limit
from core.accounts.models import User
from core.accounts.second_factor import (
    PASSED,
    AccountLocked,
    confirm_enrolment,
    disable,
    is_enrolled,
    recovery_codes_left,
    start_enrolment,
)
from core.accounts.sessions import start_session
from core.errors import RuleViolation
from core.hookspecs import hookimpl

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class CodeRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Code


class SecondFactorStatus(msgspec.Struct):
    enabled: bool
    recovery_codes_left: int


class EnrolmentOut(msgspec.Struct):
    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodesOut(msgspec.Struct):
    recovery_codes: list[str]
    detail: str = "Keep these somewhere safe: each works once, and they are not shown again"


class SecondFactorMessage(msgspec.Struct):
    detail: str


async def _user(request: Request[Any, Any, Any], session: AsyncSession) -> User:
    user = await session.get(User, request.user.id)
    assert user is not None  # the authentication middleware found this active user
    return user


def _from_token(request: Request[Any, Any, Any]) -> None:
    # Enrolment changes how the account signs in: the person's session, not a script's token.
    if request.auth != "session":
        raise PermissionDeniedException("Set up or turn off the second factor from a session")


class SecondFactorController(Controller):
    path = "/api/v1/auth/second-factor"
    tags = ["auth"]

    @get("/", summary="Whether the signed-in user has a second factor")
    async def status(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> SecondFactorStatus:
        enabled = await is_enrolled(db_session, request.user.id)
        left = await recovery_codes_left(db_session, request.user.id) if enabled else 0
        return SecondFactorStatus(enabled=enabled, recovery_codes_left=left)

    @post("/enrol", status_code=201, summary="Start enrolment: a new TOTP secret and QR code")
    async def enrol(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> EnrolmentOut:
        _from_token(request)
        enrolment = await start_enrolment(
            db_session, await _user(request, db_session), state.settings.security
        )
        await db_session.commit()
        return EnrolmentOut(enrolment.secret, enrolment.otpauth_uri, enrolment.qr_svg)

    @post("/confirm", status_code=200, summary="Confirm enrolment with a code: recovery codes")
    async def confirm(
        self,
        data: JSONBody[CodeRequest],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> RecoveryCodesOut:
        _from_token(request)
        codes = await confirm_enrolment(
            db_session, await _user(request, db_session), data.code, state.settings.security
        )
        await db_session.commit()
        # The session that set it up has shown a code: it counts as passed, under a new id.
        start_session(request, request.user.id, token_id=request.user.token_id, **{PASSED: True})
        return RecoveryCodesOut(recovery_codes=codes)

    @post(
        "/disable",
        status_code=200,
        middleware=[login_rate_limit.middleware],
        summary="Turn the second factor off, with a code",
    )
    async def disable_factor(
        self,
        data: JSONBody[CodeRequest],
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        state: State,
    ) -> Response[SecondFactorMessage]:
        _from_token(request)
        user = await _user(request, db_session)
        try:
            ok = await disable(db_session, user, data.code, state.settings.security)
        except AccountLocked as locked:
            return Response(
                SecondFactorMessage("Too many failed attempts. Try again later."),
                status_code=429,
                headers={"Retry-After": str(locked.retry_after)},
            )
        if not ok:
            raise RuleViolation("The code is not right", field="code")
        await db_session.commit()
        return Response(SecondFactorMessage("Second factor turned off"))


@hookimpl
def register_routes() -> list[Any]:
    return [SecondFactorController]
