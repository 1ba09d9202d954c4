from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    # The authenticator's code (or a recovery code), for an account with a second factor.
    otp: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None


class MembershipOut(msgspec.Struct):
    tenant: str
    tenant_name: str
    organisation: str
    organisation_name: str
    organisation_kind: str
    roles: list[str]


class UserOut(msgspec.Struct):
    id: uuid.UUID
    username: str
    display_name: str
    is_platform_admin: bool
    memberships: list[MembershipOut]


class LoginResponse(msgspec.Struct):
    token: str
    expires_at: datetime
    user: UserOut


class Message(msgspec.Struct):
    detail: str
