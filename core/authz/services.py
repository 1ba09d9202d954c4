"""The partnership lead's side of the engine: the protocol's versions, matrix, preview,
publishing and explanations. Break-glass lives in ``core.authz.break_glass``, the
counting in ``core.authz.effects`` and the second lead's approval in
``core.authz.approvals``."""

from __future__ import annotations

import uuid
from collections import defaultdict

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import User
from core.audit.services import record
from core.authz.access import Access, explain
from core.authz.actor import CurrentUser, resolve_actor
from core.authz.break_glass import BreakGlassService, grant_out
from core.authz.effects import DEFAULT_THRESHOLD, OrganisationReach, count
from core.authz.enforcer import TenantPolicy
from core.authz.members import Member, active_members, links
from core.authz.models import ProtocolVersion
from core.authz.protocol import (
    DECISION_CATEGORIES,
    TENANT_CATEGORIES,
    ProtocolError,
    Vocabulary,
    diff,
    kind_warnings,
    parse,
    store_version,
)
from core.authz.schemas import (
    DiffOut,
    ExplainOut,
    MatrixCell,
    MatrixOut,
    PreviewOut,
    ProtocolVersionOut,
)
from core.errors import RuleViolation, not_found
from core.persons.models import Person
from core.tenancy.models import Tenant

__all__ = [
    "BreakGlassService",
    "Impact",
    "Member",
    "ProtocolService",
    "active_members",
    "grant_out",
    "version_out",
]


def version_out(row: ProtocolVersion, *, with_rules: bool) -> ProtocolVersionOut:
    return ProtocolVersionOut(
        version=row.version,
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        rules=row.rules if with_rules else None,
    )


class Impact(msgspec.Struct):
    """A preview with the reach per organisation, and whether a second lead must approve."""

    preview: PreviewOut
    organisations: list[OrganisationReach]
    threshold: float

    @property
    def needs_second_lead(self) -> bool:
        return self.preview.valid and any(r.past_threshold for r in self.organisations)


def threshold_of(tenant: Tenant) -> float:
    """The tenant file's share of the caseload past which a widening needs a second lead."""
    value = tenant.config.get("protocol_approval_threshold", DEFAULT_THRESHOLD)
    try:
        share = float(value)
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD
    return share if 0 <= share <= 1 else DEFAULT_THRESHOLD


class ProtocolService:
    """Everything here needs ``manage`` on ``protocol``: the partnership lead."""

    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def tenant(self) -> Tenant:
        tenant = await self.session.get(Tenant, self.actor.tenant_id)
        assert tenant is not None
        return tenant

    def vocabulary(self, tenant: Tenant) -> Vocabulary:
        return Vocabulary(
            domain=tenant.slug,
            roles=frozenset(tenant.roles),
            categories=frozenset(self.access.categories),
        )

    async def _version(self, number: int) -> ProtocolVersion:
        row = await self.session.get(ProtocolVersion, (self.actor.tenant_id, number))
        if row is None:
            raise not_found("Protocol version")
        return row

    async def live(self) -> ProtocolVersionOut:
        return version_out(await self._version(self.access.policy.version), with_rules=True)

    async def versions(self) -> list[ProtocolVersionOut]:
        rows = await self.session.scalars(
            select(ProtocolVersion)
            .where(ProtocolVersion.tenant_id == self.actor.tenant_id)
            .order_by(ProtocolVersion.version.desc())
        )
        return [version_out(r, with_rules=False) for r in rows.all()]

    async def version(self, number: int) -> ProtocolVersionOut:
        return version_out(await self._version(number), with_rules=True)

    async def diff(self, old: int, new: int) -> DiffOut:
        a, b = await self._version(old), await self._version(new)
        lines = diff(a.rules, b.rules, f"version {old}", f"version {new}")
        return DiffOut(from_version=old, to_version=new, lines=lines)

    async def matrix(self) -> MatrixOut:
        members = await active_members(self.session, self.actor.tenant_id)
        policy = self.access.policy
        reach: dict[str, set[uuid.UUID]] = defaultdict(set)
        for member in members:
            for subject in member.subjects:
                reach[subject].add(member.user_id)
        cells: list[MatrixCell] = []
        # Subjects as the protocol names them (roles inherit through g rows).
        for row in policy.enforcer.get_filtered_policy(1, policy.domain):
            subject, _, category, action, scope, consent = row[:6]
            users = set(reach.get(subject, set()))
            for child, parent in links(policy):
                if parent == subject:
                    users |= reach.get(child, set())
            cells.append(
                MatrixCell(
                    subject=subject,
                    category=category,
                    action=action,
                    scope=scope,
                    consent=consent == "consent",
                    users=len(users),
                )
            )
        cells.sort(key=lambda c: (c.category, c.subject, c.action, c.scope))
        return MatrixOut(
            version=policy.version,
            categories=[*self.access.categories, *DECISION_CATEGORIES, *TENANT_CATEGORIES],
            subjects=sorted({c.subject for c in cells}),
            cells=cells,
        )

    def draft_policy(self, tenant: Tenant, text: str) -> TenantPolicy:
        parse(text, self.vocabulary(tenant))
        return TenantPolicy(self.access.store.model_path, tenant.slug, -1, text)

    async def impact(self, text: str) -> Impact:
        """The preview, counted once, with each organisation's reach before and after."""
        tenant = await self.tenant()
        threshold = threshold_of(tenant)
        live = self.access.policy
        try:
            draft = self.draft_policy(tenant, text)
        except ProtocolError as exc:
            invalid = PreviewOut(valid=False, problems=exc.problems, effects=[], diff=[])
            return Impact(preview=invalid, organisations=[], threshold=threshold)
        problems = self._lockout_problems(draft)
        counted = await count(
            self.session,
            self.actor.tenant_id,
            self.access.categories,
            self.access.now,
            live,
            draft,
            threshold,
        )
        lines = diff(live.text, text, f"version {live.version}", "draft")
        rules, _ = parse(text, self.vocabulary(tenant))
        members = await active_members(self.session, self.actor.tenant_id)
        warnings = kind_warnings(rules, [(m.kind, m.roles) for m in members])
        preview = PreviewOut(
            valid=not problems,
            problems=problems,
            effects=counted.effects,
            diff=lines,
            warnings=warnings,
        )
        return Impact(preview=preview, organisations=counted.organisations, threshold=threshold)

    async def preview(self, text: str) -> PreviewOut:
        return (await self.impact(text)).preview

    def _lockout_problems(self, draft: TenantPolicy) -> list[str]:
        grants = draft.grants_for(self.actor.user_id, self.access.subjects)
        if grants.get("protocol", "manage"):
            return []
        return [
            "This change would stop you managing the protocol: keep managing the sharing "
            "protocol for one of your roles."
        ]

    def check(self, tenant: Tenant, text: str) -> None:
        """Validation and the lock-out guard, as a publish applies them."""
        try:
            draft = self.draft_policy(tenant, text)
        except ProtocolError as exc:
            raise RuleViolation("; ".join(exc.problems), field="rules") from None
        problems = self._lockout_problems(draft)
        if problems:
            raise RuleViolation(problems[0], field="rules")

    async def publish(
        self,
        text: str,
        reason: str,
        *,
        approved_by: uuid.UUID | None = None,
        commit: bool = True,
    ) -> ProtocolVersionOut:
        tenant = await self.tenant()
        self.check(tenant, text)
        old = self.access.policy
        row = await store_version(
            self.session, tenant, text, reason=reason, user_id=self.actor.user_id
        )
        detail = {
            "from_version": old.version,
            "to_version": row.version,
            "reason": reason,
            "diff": diff(old.text, text, f"version {old.version}", f"version {row.version}"),
        }
        if approved_by is not None:
            detail["approved_by"] = str(approved_by)
        record(self.session, self.actor, "protocol_change", "protocol", detail=detail)
        if commit:
            await self.session.commit()
        return version_out(row, with_rules=True)

    async def explain_for(
        self, user_id: uuid.UUID, person_id: uuid.UUID, category: str, action: str
    ) -> ExplainOut:
        """Why ``user_id`` can or cannot ``action`` ``category`` of ``person_id``."""
        target = await self.member_access(user_id)
        person = await self.session.get(Person, (self.actor.tenant_id, person_id))
        if person is None:
            raise not_found("Person")
        relation = await target.relation(person_id)
        decision = explain(target.grants.get(category, action), category, action, relation)
        record(
            self.session,
            self.actor,
            "explain",
            "protocol",
            person_id=person_id,
            detail={"user_id": str(user_id), "category": category, "action": action},
        )
        await self.session.commit()
        return ExplainOut(
            user_id=user_id,
            person_id=person_id,
            category=category,
            action=action,
            allowed=decision.allowed,
            scope=decision.scope,
            consent_given=decision.consent_given,
            rule=decision.rule,
            reason=decision.reason,
        )

    async def member_access(self, user_id: uuid.UUID) -> Access:
        """The access another member of this partnership has, resolved as their requests are."""
        user = await self.session.get(User, user_id)
        actor = None
        if user is not None:
            current = CurrentUser(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                is_platform_admin=user.is_platform_admin,
            )
            actor = await resolve_actor(self.session, current, self.actor.tenant_slug)
        if actor is None:
            raise not_found("Member")
        return Access(
            self.session,
            actor,
            self.access.store,
            self.access.policy,
            self.access.categories,
            self.access.now,
        )
