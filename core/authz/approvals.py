"""The two-person rule: a publish that widens any organisation's reach past the tenant's
threshold (by default half the partnership's people) waits for a second lead.

The request keeps the draft exactly as it would be published, the reason and what it
widens, in plain words. Another lead approves (which publishes it) or declines it; the
one who asked cannot do either for their own. Every step is audited. A request made
against a version that is no longer live cannot be approved: what the second lead saw
would no longer be what gets published.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from core.audit.services import record
from core.authz.members import Names, active_members
from core.authz.schemas import ProtocolVersionOut
from core.authz.services import Impact, ProtocolService
from core.authz.wording import action_phrase
from core.db.base import Base, TenantScoped
from core.errors import Conflict, not_found


class ProtocolApproval(TenantScoped, Base):
    """A protocol change waiting for a second lead (migration 0014)."""

    __tablename__ = "protocol_approvals"
    __table_args__ = (Index(None, "tenant_id", "decided_at"),)

    base_version: Mapped[int]
    rules: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # What widens past the threshold, in the sentences the requester saw.
    widening: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(String(20))  # approved / declined
    decision_note: Mapped[str | None] = mapped_column(Text)
    published_version: Mapped[int | None]


class ApprovalService:
    """Requests and decisions; everything needs ``protocol, manage``, checked by the caller."""

    def __init__(self, protocol: ProtocolService) -> None:
        self.protocol = protocol
        self.session = protocol.session
        self.access = protocol.access
        self.actor = protocol.actor

    async def request(self, text: str, reason: str, widening: list[str]) -> ProtocolApproval:
        # The same validation and lock-out guard a publish applies: nothing unpublishable waits.
        self.protocol.check(await self.protocol.tenant(), text)
        row = ProtocolApproval(
            tenant_id=self.actor.tenant_id,
            base_version=self.access.policy.version,
            rules=text,
            reason=reason,
            requested_by=self.actor.user_id,
            widening={"sentences": widening},
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "protocol_approval_request",
            "protocol",
            row.id,
            detail={"base_version": row.base_version, "reason": reason, "widening": widening},
        )
        await self._tell_other_leads(row)
        await self.session.commit()
        return row

    async def _tell_other_leads(self, row: ProtocolApproval) -> None:
        from core.notifications.services import notify

        policy = self.access.policy
        leads = [
            m.user_id
            for m in await active_members(self.session, self.actor.tenant_id)
            if m.user_id != self.actor.user_id
            and policy.grants_for(m.user_id, m.subjects).get("protocol", "manage")
        ]
        await notify(
            self.session,
            self.actor.tenant_id,
            leads,
            kind="protocol_approval",
            title="A sharing protocol change waits for your approval",
            link=f"/t/{self.actor.tenant_slug}/protocol/approvals/{row.id}",
            key=f"protocol-approval:{row.id}",
        )

    async def pending(self) -> list[ProtocolApproval]:
        rows = await self.session.scalars(
            select(ProtocolApproval)
            .where(
                ProtocolApproval.tenant_id == self.actor.tenant_id,
                ProtocolApproval.decided_at.is_(None),
            )
            .order_by(ProtocolApproval.created_at.desc())
            .limit(100)
        )
        return list(rows.all())

    async def get(self, approval_id: uuid.UUID) -> ProtocolApproval:
        row = await self.session.get(ProtocolApproval, (self.actor.tenant_id, approval_id))
        if row is None:
            raise not_found("Protocol change")
        return row

    async def _decidable(self, approval_id: uuid.UUID, what: str) -> ProtocolApproval:
        row = await self.get(approval_id)
        if row.decided_at is not None:
            raise Conflict(detail="This change has already been decided")
        if row.requested_by == self.actor.user_id:
            # A second pair of eyes: the lead who asked cannot decide their own change.
            record(
                self.session,
                self.actor,
                "deny",
                "protocol",
                row.id,
                detail={"action": f"protocol_{what}", "reason": "own request"},
            )
            await self.session.commit()
            raise PermissionDeniedException(
                detail="You asked for this change: another lead must decide it."
            )
        return row

    async def approve(self, approval_id: uuid.UUID, note: str) -> ProtocolVersionOut:
        row = await self._decidable(approval_id, "approve")
        if row.base_version != self.access.policy.version:
            raise Conflict(
                detail=(
                    f"The protocol has changed since this was asked for (version "
                    f"{row.base_version}, now {self.access.policy.version}): decline it and "
                    "ask for the change again."
                )
            )
        row.decided_at = self.access.now
        row.decided_by = self.actor.user_id
        row.decision = "approved"
        row.decision_note = note
        record(
            self.session,
            self.actor,
            "protocol_approval",
            "protocol",
            row.id,
            detail={"requested_by": str(row.requested_by), "note": note},
        )
        # Published in the same transaction as the decision: both or neither.
        published = await self.protocol.publish(
            row.rules, row.reason, approved_by=self.actor.user_id, commit=False
        )
        row.published_version = published.version
        await self.session.commit()
        return published

    async def decline(self, approval_id: uuid.UUID, note: str) -> ProtocolApproval:
        row = await self._decidable(approval_id, "decline")
        row.decided_at = self.access.now
        row.decided_by = self.actor.user_id
        row.decision = "declined"
        row.decision_note = note
        record(
            self.session,
            self.actor,
            "protocol_approval_declined",
            "protocol",
            row.id,
            detail={"requested_by": str(row.requested_by), "note": note},
        )
        await self.session.commit()
        return row


def widening_sentences(impact: Impact, names: Names) -> list[str]:
    """What widens past the threshold, per organisation, as the approving lead reads it."""
    out = []
    for row in impact.organisations:
        if row.past_threshold:
            organisation = names.organisations.get(row.organisation_id, ("An organisation", ""))
            out.append(
                f"{organisation[0]} would {action_phrase(row.category, row.action)} "
                f"{row.after} of the {row.total} "
                f"{'person' if row.total == 1 else 'people'} in the partnership "
                f"(now {row.before})."
            )
    return out
