"""Memberships: invite or create, change roles and organisation, deactivate now or on a date.

A new member never gets a password from the lead: they choose one through a one-time link
or, where email is not an option, a temporary password that works only on the first
sign-in page, to choose their own. At least one active partnership lead always remains, so
the partnership cannot lock itself out of its own administration.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from datetime import date, datetime

import msgspec
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.accounts.models import Membership, User
from core.accounts.passwords import hash_password
from core.accounts.services import create_user, token_digest
from core.administration.models import Invitation, InvitationKind, ScheduledDeactivation
from core.administration.schemas import (
    AccessReview,
    HistoryEntry,
    MemberAdmin,
    MemberCreate,
    MemberCreated,
    MemberDeactivate,
    MemberUpdate,
    ReviewRow,
)
from core.administration.services import (
    INVITATION_LIFETIME,
    LEAD_ROLE,
    UNUSED_DAYS,
    active_organisation,
    check_roles,
    end_access,
    history,
    member_row,
    new_secret,
    require_lead,
    unused_since,
)
from core.audit.services import record
from core.authz.actor import Actor
from core.authz.actor_cache import bump_actor_generation
from core.db.base import utcnow
from core.errors import Conflict, RuleViolation, not_found
from core.settings import SmtpSettings
from core.tenancy.models import Organisation

log = logging.getLogger("throughcare.administration")

WELCOME = "/t/{tenant}/welcome/{token}"
FIRST_SIGN_IN = "/first-sign-in"


class MemberService:
    def __init__(self, session: AsyncSession, actor: Actor, smtp: SmtpSettings | None = None):
        self.session = session
        self.actor = actor
        self.smtp = smtp or SmtpSettings()

    # ---- reading --------------------------------------------------------------------------

    async def _rows(self, membership_id: uuid.UUID | None = None) -> list[MemberAdmin]:
        tid = self.actor.tenant_id
        pending = (
            exists()
            .where(
                Invitation.tenant_id == tid,
                Invitation.membership_id == Membership.id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .correlate(Membership)
        )
        statement = (
            select(Membership, User, Organisation, pending, ScheduledDeactivation.deactivate_on)
            .join(User, User.id == Membership.user_id)
            .join(
                Organisation,
                (Organisation.tenant_id == Membership.tenant_id)
                & (Organisation.id == Membership.organisation_id),
            )
            .outerjoin(
                ScheduledDeactivation,
                (ScheduledDeactivation.tenant_id == Membership.tenant_id)
                & (ScheduledDeactivation.membership_id == Membership.id),
            )
            .where(Membership.tenant_id == tid)
            .order_by(Membership.is_active.desc(), User.display_name, User.username)
        )
        if membership_id is not None:
            statement = statement.where(Membership.id == membership_id)
        return [member_row(*row) for row in (await self.session.execute(statement)).all()]

    async def list(self) -> list[MemberAdmin]:
        await require_lead(self.session, self.actor, "list_members")
        return await self._rows()

    async def show(self, membership_id: uuid.UUID) -> MemberAdmin:
        await require_lead(self.session, self.actor, "show_member")
        found = await self._rows(membership_id)
        if not found:
            raise not_found("Member")
        return found[0]

    async def history(self, membership_id: uuid.UUID) -> list[HistoryEntry]:
        await require_lead(self.session, self.actor, "member_history")
        await self._membership(membership_id)
        return await history(self.session, self.actor.tenant_id, "membership", membership_id)

    async def review(self) -> AccessReview:
        """Who holds which role where, when each last signed in; the unused flagged."""
        await require_lead(self.session, self.actor, "access_review")
        cutoff = unused_since()
        rows = [
            ReviewRow(
                member=m,
                unused=m.last_signed_in_at is None or m.last_signed_in_at < cutoff,
            )
            for m in await self._rows()
            if m.is_active
        ]
        record(self.session, self.actor, "list", "access_review", detail={"rows": len(rows)})
        await self.session.commit()
        return AccessReview(as_of=clock.now(), unused_days=UNUSED_DAYS, rows=rows)

    async def _membership(self, membership_id: uuid.UUID) -> Membership:
        found = await self.session.scalar(
            select(Membership).where(
                Membership.tenant_id == self.actor.tenant_id, Membership.id == membership_id
            )
        )
        if found is None:
            raise not_found("Member")
        return found

    async def _leads_left(self, without: uuid.UUID, roles: list[str] | None = None) -> bool:
        """Whether an active lead remains once ``without`` has ``roles`` (None: is gone)."""
        if roles is not None and LEAD_ROLE in roles:
            return True
        others = (
            await self.session.scalars(
                select(Membership.roles).where(
                    Membership.tenant_id == self.actor.tenant_id,
                    Membership.is_active.is_(True),
                    Membership.id != without,
                )
            )
        ).all()
        return any(LEAD_ROLE in (r or []) for r in others)

    # ---- changing -------------------------------------------------------------------------

    async def create(self, data: MemberCreate) -> MemberCreated:
        await require_lead(self.session, self.actor, "create_member")
        if data.how == "invite" and not data.email:
            raise RuleViolation("Enter their email address, for the invitation", field="email")
        roles = await check_roles(self.session, self.actor.tenant_id, data.roles)
        org = await active_organisation(self.session, self.actor.tenant_id, data.organisation_id)
        # Nobody can sign in with this: the person chooses their own through the invitation.
        user = await create_user(
            self.session,
            data.username,
            " ".join(data.display_name.split()),
            secrets.token_urlsafe(32),
            email=data.email,
        )
        membership = Membership(
            tenant_id=self.actor.tenant_id, user_id=user.id, organisation_id=org.id, roles=roles
        )
        self.session.add(membership)
        await self.session.flush()
        kind = InvitationKind.LINK if data.how == "invite" else InvitationKind.TEMPORARY_PASSWORD
        secret, invitation = self._invitation(membership, kind)
        record(
            self.session,
            self.actor,
            "create",
            "membership",
            membership.id,
            detail={
                "username": user.username,
                "organisation": org.name,
                "roles": roles,
                "how": kind.value,
            },
        )
        await self.session.commit()
        return await self._created(membership.id, kind, secret, invitation.expires_at, user.email)

    def _invitation(self, membership: Membership, kind: InvitationKind) -> tuple[str, Invitation]:
        secret = new_secret(kind)
        invitation = Invitation(
            tenant_id=membership.tenant_id,
            membership_id=membership.id,
            user_id=membership.user_id,
            kind=kind.value,
            secret_hash=token_digest(secret)
            if kind is InvitationKind.LINK
            else hash_password(secret),
            expires_at=utcnow() + INVITATION_LIFETIME,
            created_by=self.actor.user_id,
        )
        self.session.add(invitation)
        return secret, invitation

    async def _created(
        self,
        membership_id: uuid.UUID,
        kind: InvitationKind,
        secret: str,
        expires_at: datetime,
        email: str | None,
    ) -> MemberCreated:
        member = (await self._rows(membership_id))[0]
        if kind is InvitationKind.TEMPORARY_PASSWORD:
            return MemberCreated(member=member, expires_at=expires_at, temporary_password=secret)
        url = WELCOME.format(tenant=self.actor.tenant_slug, token=secret)
        emailed = await self._email(email, url) if email else False
        return MemberCreated(
            member=member, expires_at=expires_at, invitation_url=url, emailed=emailed
        )

    async def _email(self, to: str, path: str) -> bool:
        """Sent now, not through the outbox: the link is a secret the database never holds."""
        if self.smtp.host is None:
            return False
        from email.message import EmailMessage

        from core.notifications.email import send

        message = EmailMessage()
        message["Subject"] = "You have been invited to Throughcare"
        message["From"] = self.smtp.sender or ""
        message["To"] = to
        message.set_content(
            "Choose your password to start using Throughcare. The link works once, "
            f"for 7 days:\n\n{self.smtp.public_url}{path}\n"
        )
        try:
            await asyncio.to_thread(send, self.smtp, message)
        except Exception:  # the lead still has the link to pass on
            log.exception("invitation email not sent")
            return False
        return True

    async def reissue(self, membership_id: uuid.UUID, how: str) -> MemberCreated:
        """A new link or temporary password for someone who has not chosen a password yet."""
        await require_lead(self.session, self.actor, "reissue_invitation")
        membership = await self._membership(membership_id)
        if not membership.is_active:
            raise Conflict(detail="This membership has been deactivated")
        member = (await self._rows(membership_id))[0]
        if not member.invitation_pending:
            raise Conflict(detail=f"{member.display_name} has already chosen a password")
        if how == "invite" and not member.email:
            raise RuleViolation("They have no email address for an invitation", field="how")
        now = utcnow()
        for old in await self.session.scalars(
            select(Invitation).where(
                Invitation.tenant_id == self.actor.tenant_id,
                Invitation.membership_id == membership_id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        ):
            old.revoked_at = now
        kind = InvitationKind.LINK if how == "invite" else InvitationKind.TEMPORARY_PASSWORD
        secret, invitation = self._invitation(membership, kind)
        record(
            self.session,
            self.actor,
            "reissue",
            "membership",
            membership_id,
            detail={"how": kind.value},
        )
        await self.session.commit()
        return await self._created(membership_id, kind, secret, invitation.expires_at, member.email)

    async def update(self, membership_id: uuid.UUID, data: MemberUpdate) -> MemberAdmin:
        await require_lead(self.session, self.actor, "update_member")
        membership = await self._membership(membership_id)
        if not membership.is_active:
            raise Conflict(detail="This membership has been deactivated")
        detail: dict[str, object] = {}
        if not isinstance(data.roles, msgspec.UnsetType):
            roles = await check_roles(self.session, self.actor.tenant_id, data.roles)
            if roles != list(membership.roles or []):
                if not await self._leads_left(membership.id, roles):
                    raise RuleViolation(
                        "The partnership must keep at least one partnership lead", field="roles"
                    )
                detail["roles_from"], detail["roles_to"] = list(membership.roles or []), roles
                membership.roles = roles
        moved = data.organisation_id
        if not isinstance(moved, msgspec.UnsetType) and moved != membership.organisation_id:
            org = await active_organisation(self.session, self.actor.tenant_id, moved)
            before = await self.session.get(
                Organisation, (self.actor.tenant_id, membership.organisation_id)
            )
            detail["organisation_from"] = before.name if before else ""
            detail["organisation_to"] = org.name
            membership.organisation_id = org.id
        if detail:
            record(self.session, self.actor, "update", "membership", membership.id, detail=detail)
            await bump_actor_generation(self.session, self.actor.tenant_id)
            await self.session.commit()
        return await self.show(membership_id)

    async def deactivate(self, membership_id: uuid.UUID, data: MemberDeactivate) -> MemberAdmin:
        await require_lead(self.session, self.actor, "deactivate_member")
        membership = await self._membership(membership_id)
        if not membership.is_active:
            raise Conflict(detail="This membership is already deactivated")
        if membership.user_id == self.actor.user_id:
            raise RuleViolation("You cannot deactivate your own membership", field="on")
        if not await self._leads_left(membership.id):
            raise RuleViolation(
                "The partnership must keep at least one partnership lead", field="on"
            )
        if data.on is not None and data.on > clock.today():
            await self._schedule(membership, data.on)
        else:
            await end_access(self.session, membership)
            record(self.session, self.actor, "deactivate", "membership", membership.id)
        await self.session.commit()
        return await self.show(membership_id)

    async def _schedule(self, membership: Membership, on: date) -> None:
        existing = await self.session.get(
            ScheduledDeactivation, (membership.tenant_id, membership.id)
        )
        if existing is None:
            self.session.add(
                ScheduledDeactivation(
                    tenant_id=membership.tenant_id,
                    membership_id=membership.id,
                    deactivate_on=on,
                    set_by=self.actor.user_id,
                )
            )
        else:
            existing.deactivate_on, existing.set_by = on, self.actor.user_id
        record(
            self.session,
            self.actor,
            "schedule_deactivation",
            "membership",
            membership.id,
            detail={"on": on.isoformat()},
        )


async def run_due_deactivations(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """End the memberships whose date has come (UK today). Idempotent; returns how many."""
    due = (
        await session.scalars(
            select(Membership)
            .join(
                ScheduledDeactivation,
                (ScheduledDeactivation.tenant_id == Membership.tenant_id)
                & (ScheduledDeactivation.membership_id == Membership.id),
            )
            .where(
                ScheduledDeactivation.tenant_id == tenant_id,
                ScheduledDeactivation.deactivate_on <= clock.today(),
            )
        )
    ).all()
    for membership in due:
        await end_access(session, membership)
        if membership.is_active is False:
            record(
                session,
                None,
                "deactivate",
                "membership",
                membership.id,
                tenant_id=tenant_id,
                detail={"scheduled": "yes"},
            )
    await session.commit()
    return len(due)
