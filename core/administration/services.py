"""The lead's administration of their own partnership: organisations and memberships.

Every operation is the partnership lead's (a member without the role is refused, and the
refusal audited) and reads and writes only rows of the actor's tenant: an id from another
tenant is "not found", exactly as one that does not exist. Every change is audited in the
caller's transaction, so it and its audit row commit together.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.accounts.models import ApiToken, Membership, User
from core.administration.models import (
    Invitation,
    InvitationKind,
    OrganisationDeactivation,
    ScheduledDeactivation,
)
from core.administration.schemas import (
    HistoryEntry,
    MemberAdmin,
    OrganisationAdmin,
    OrganisationCreate,
    OrganisationRename,
)
from core.audit.models import AuditEvent
from core.audit.services import record
from core.authz.actor import Actor
from core.authz.actor_cache import bump_actor_generation
from core.db.base import utcnow
from core.errors import Conflict, RuleViolation, not_found
from core.tenancy.models import Organisation, Tenant

LEAD_ROLE = "partnership_lead"
REFUSED = "Only the partnership lead can manage the partnership's organisations and members"


def slug_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56].strip("-")
    return slug or "organisation"


async def refuse(session: AsyncSession, actor: Actor, what: str) -> None:
    """Drop anything pending, keep the refusal, and answer 403."""
    await session.rollback()
    record(session, actor, "deny", "administration", detail={"action": what, "reason": REFUSED})
    await session.commit()
    raise PermissionDeniedException(detail=REFUSED)


async def require_lead(session: AsyncSession, actor: Actor, what: str) -> None:
    if not actor.has_role(LEAD_ROLE):
        await refuse(session, actor, what)


async def end_access(session: AsyncSession, membership: Membership) -> None:
    """Deactivate a membership and end the person's sign-ins everywhere, at once.

    Tokens are revoked; a page session carries no token, so moving the user's
    ``password_changed_at`` makes every session issued before now stale (the
    authentication middleware refuses a session older than it). Pending invitations and a
    scheduled end are dropped. The actor cache of the tenant is bumped in this transaction.
    """
    now = utcnow()
    membership.is_active = False
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == membership.user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(User).where(User.id == membership.user_id).values(password_changed_at=now)
    )
    await session.execute(
        update(Invitation)
        .where(
            Invitation.tenant_id == membership.tenant_id,
            Invitation.membership_id == membership.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    await session.execute(
        delete(ScheduledDeactivation).where(
            ScheduledDeactivation.tenant_id == membership.tenant_id,
            ScheduledDeactivation.membership_id == membership.id,
        )
    )
    await bump_actor_generation(session, membership.tenant_id)


async def history(
    session: AsyncSession, tenant_id: uuid.UUID, record_type: str, record_id: uuid.UUID
) -> list[HistoryEntry]:
    rows = (
        await session.execute(
            select(AuditEvent, User.display_name)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(
                AuditEvent.tenant_id == tenant_id,
                AuditEvent.record_type == record_type,
                AuditEvent.record_id == record_id,
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.seq.desc())
            .limit(200)
        )
    ).all()
    return [
        HistoryEntry(
            at=event.at,
            action=event.action,
            by=by,
            detail={str(k): _plain(v) for k, v in (event.detail or {}).items()},
        )
        for event, by in rows
    ]


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


class OrganisationService:
    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    async def _get(self, organisation_id: uuid.UUID) -> Organisation:
        org = await self.session.scalar(
            select(Organisation).where(
                Organisation.tenant_id == self.actor.tenant_id, Organisation.id == organisation_id
            )
        )
        if org is None:
            raise not_found("Organisation")
        return org

    async def list(self) -> list[OrganisationAdmin]:
        await require_lead(self.session, self.actor, "list_organisations")
        return await self._list()

    async def _list(self, organisation_id: uuid.UUID | None = None) -> list[OrganisationAdmin]:
        tid = self.actor.tenant_id
        members = (
            select(func.count())
            .where(
                Membership.tenant_id == tid,
                Membership.organisation_id == Organisation.id,
                Membership.is_active.is_(True),
            )
            .scalar_subquery()
        )
        statement = (
            select(Organisation, OrganisationDeactivation.deactivated_at, members)
            .outerjoin(
                OrganisationDeactivation,
                (OrganisationDeactivation.tenant_id == Organisation.tenant_id)
                & (OrganisationDeactivation.organisation_id == Organisation.id),
            )
            .where(Organisation.tenant_id == tid)
            .order_by(Organisation.name)
        )
        if organisation_id is not None:
            statement = statement.where(Organisation.id == organisation_id)
        rows = (await self.session.execute(statement)).all()
        return [
            OrganisationAdmin(
                id=o.id,
                slug=o.slug,
                name=o.name,
                kind=o.kind,
                is_lead=o.is_lead,
                is_active=gone is None,
                active_members=int(count or 0),
                deactivated_at=gone,
            )
            for o, gone, count in rows
        ]

    async def show(self, organisation_id: uuid.UUID) -> OrganisationAdmin:
        await require_lead(self.session, self.actor, "show_organisation")
        found = await self._list(organisation_id)
        if not found:
            raise not_found("Organisation")
        return found[0]

    async def history(self, organisation_id: uuid.UUID) -> list[HistoryEntry]:
        await require_lead(self.session, self.actor, "organisation_history")
        await self._get(organisation_id)
        return await history(self.session, self.actor.tenant_id, "organisation", organisation_id)

    async def _name_free(self, name: str, but: uuid.UUID | None = None) -> None:
        taken = await self.session.scalar(
            select(Organisation.id).where(
                Organisation.tenant_id == self.actor.tenant_id,
                func.lower(Organisation.name) == name.lower(),
                *([Organisation.id != but] if but else []),
            )
        )
        if taken is not None:
            raise RuleViolation(
                f"The partnership already has an organisation called {name}", field="name"
            )

    async def add(self, data: OrganisationCreate) -> OrganisationAdmin:
        await require_lead(self.session, self.actor, "add_organisation")
        name = " ".join(data.name.split())
        await self._name_free(name)
        base = slug_for(name)
        used = set(
            (
                await self.session.scalars(
                    select(Organisation.slug).where(
                        Organisation.tenant_id == self.actor.tenant_id,
                        Organisation.slug.like(f"{base}%"),
                    )
                )
            ).all()
        )
        slug = base
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        org = Organisation(
            tenant_id=self.actor.tenant_id, slug=slug, name=name, kind=str(data.kind), attributes={}
        )
        self.session.add(org)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "organisation",
            org.id,
            detail={"name": name, "kind": str(data.kind)},
        )
        await self.session.commit()
        return await self.show(org.id)

    async def rename(
        self, organisation_id: uuid.UUID, data: OrganisationRename
    ) -> OrganisationAdmin:
        await require_lead(self.session, self.actor, "rename_organisation")
        org = await self._get(organisation_id)
        name = " ".join(data.name.split())
        if name != org.name:
            await self._name_free(name, but=org.id)
            before, org.name = org.name, name
            record(
                self.session,
                self.actor,
                "rename",
                "organisation",
                org.id,
                detail={"from": before, "to": name},
            )
            await self.session.commit()
        return await self.show(org.id)

    async def deactivate(self, organisation_id: uuid.UUID) -> OrganisationAdmin:
        await require_lead(self.session, self.actor, "deactivate_organisation")
        current = await self.show(organisation_id)
        if current.is_lead:
            raise RuleViolation("The lead organisation cannot be deactivated", field="organisation")
        if not current.is_active:
            raise Conflict(detail=f"{current.name} is already deactivated")
        if current.active_members:
            raise Conflict(
                detail=f"{current.name} still has {current.active_members} active member(s): "
                "move them to another organisation or deactivate them first"
            )
        self.session.add(
            OrganisationDeactivation(
                tenant_id=self.actor.tenant_id,
                organisation_id=organisation_id,
                deactivated_by=self.actor.user_id,
            )
        )
        record(self.session, self.actor, "deactivate", "organisation", organisation_id)
        await self.session.commit()
        return await self.show(organisation_id)


async def active_organisation(
    session: AsyncSession, tenant_id: uuid.UUID, organisation_id: uuid.UUID
) -> Organisation:
    """An organisation a member may be placed in; a 422 naming the field otherwise."""
    org = await session.scalar(
        select(Organisation).where(
            Organisation.tenant_id == tenant_id,
            Organisation.id == organisation_id,
            ~select(OrganisationDeactivation.organisation_id)
            .where(
                OrganisationDeactivation.tenant_id == tenant_id,
                OrganisationDeactivation.organisation_id == Organisation.id,
            )
            .exists(),
        )
    )
    if org is None:
        raise RuleViolation(
            "Select an active organisation of the partnership", field="organisation_id"
        )
    return org


async def check_roles(
    session: AsyncSession, tenant_id: uuid.UUID, roles: Sequence[str]
) -> list[str]:
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None
    unknown = sorted(set(roles) - set(tenant.roles))
    if unknown:
        raise RuleViolation(
            f"The partnership has no role called {', '.join(unknown)}", field="roles"
        )
    return [r for r in tenant.roles if r in set(roles)]  # the tenant file's order, no repeats


def new_secret(kind: InvitationKind) -> str:
    if kind is InvitationKind.LINK:
        return secrets.token_urlsafe(32)
    # Typed by a person from what the lead passed on: short, no look-alike characters.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


INVITATION_LIFETIME = timedelta(days=7)
UNUSED_DAYS = 90


def unused_since() -> Any:
    return clock.now() - timedelta(days=UNUSED_DAYS)


def member_row(
    membership: Membership,
    user: User,
    organisation: Organisation,
    pending: bool,
    deactivate_on: Any,
) -> MemberAdmin:
    return MemberAdmin(
        id=membership.id,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        roles=list(membership.roles or []),
        is_active=membership.is_active,
        last_signed_in_at=user.last_login_at,
        invitation_pending=pending,
        deactivate_on=deactivate_on,
    )
