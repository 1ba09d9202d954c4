"""The administration API's input and output types."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from core.tenancy.models import OrganisationKind

Name = Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
Username = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{1,119}$")]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]{1,64}@[^@\s]{1,185}\.[^@\s.]{2,}$")]
Roles = Annotated[
    list[Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{2,40}$")]],
    msgspec.Meta(min_length=1, max_length=10),
]


class OrganisationCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    kind: OrganisationKind


class OrganisationRename(msgspec.Struct, forbid_unknown_fields=True):
    name: Name


class OrganisationAdmin(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    is_lead: bool
    is_active: bool
    active_members: int
    deactivated_at: datetime | None = None


class MemberCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new member: ``invite`` mails a one-time link; ``temporary_password`` makes one to
    pass on, changed at first sign-in. Either way they choose their own password."""

    username: Username
    display_name: Name
    organisation_id: uuid.UUID
    roles: Roles
    how: Literal["invite", "temporary_password"] = "invite"
    email: Email | None = None


class MemberUpdate(msgspec.Struct, forbid_unknown_fields=True):
    roles: Roles | msgspec.UnsetType = msgspec.UNSET
    organisation_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET


class MemberDeactivate(msgspec.Struct, forbid_unknown_fields=True):
    """No date, or today: at once. A later date: at the start of that day (UK)."""

    on: date | None = None


class MemberAdmin(msgspec.Struct):
    id: uuid.UUID  # the membership's
    user_id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    organisation_id: uuid.UUID
    organisation_name: str
    roles: list[str]
    is_active: bool
    last_signed_in_at: datetime | None
    # Waiting for the person to choose a password through their invitation.
    invitation_pending: bool = False
    deactivate_on: date | None = None


class MemberCreated(msgspec.Struct):
    """The secret is shown once, here, and never stored in the clear."""

    member: MemberAdmin
    expires_at: datetime
    invitation_url: str | None = None
    temporary_password: str | None = None
    emailed: bool = False


class HistoryEntry(msgspec.Struct):
    at: datetime
    action: str
    by: str | None
    detail: dict[str, str]


class ReviewRow(msgspec.Struct):
    member: MemberAdmin
    unused: bool  # never signed in, or not for UNUSED_DAYS


class AccessReview(msgspec.Struct):
    as_of: datetime
    unused_days: int
    rows: list[ReviewRow]


class InvitationReissue(msgspec.Struct, forbid_unknown_fields=True):
    how: Literal["invite", "temporary_password"] = "invite"
