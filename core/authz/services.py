"""The partnership lead's side of the engine: the protocol's versions, matrix, preview,
publishing and explanations, and the break-glass queue."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import msgspec
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.audit.services import record
from core.authz.access import Access, explain
from core.authz.actor import Actor
from core.authz.enforcer import Grants, TenantPolicy, subjects_of
from core.authz.models import BreakGlassGrant, ProtocolVersion
from core.authz.protocol import (
    ACTIONS,
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
    BreakGlassOut,
    BreakGlassRequest,
    DiffOut,
    EffectLine,
    ExplainOut,
    MatrixCell,
    MatrixOut,
    PreviewOut,
    ProtocolVersionOut,
)
from core.authz.sql import Viewer, person_predicate
from core.errors import Conflict, RuleViolation, not_found
from core.persons.models import Person
from core.tenancy.models import Organisation, Tenant


class Member:
    def __init__(self, user_id: uuid.UUID, organisation_id: uuid.UUID, kind: str, roles: list[str]):
        self.user_id = user_id
        self.organisation_id = organisation_id
        self.kind = kind
        self.roles = tuple(roles)

    @property
    def subjects(self) -> frozenset[str]:
        return subjects_of(self.roles, self.kind)


async def active_members(session: AsyncSession, tenant_id: uuid.UUID) -> list[Member]:
    rows = await session.execute(
        select(Membership.user_id, Membership.organisation_id, Organisation.kind, Membership.roles)
        .join(
            Organisation,
            and_(
                Organisation.tenant_id == Membership.tenant_id,
                Organisation.id == Membership.organisation_id,
            ),
        )
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.is_active.is_(True),
            User.is_active.is_(True),
        )
    )
    return [Member(u, o, k, list(r)) for u, o, k, r in rows.all()]


def version_out(row: ProtocolVersion, *, with_rules: bool) -> ProtocolVersionOut:
    return ProtocolVersionOut(
        version=row.version,
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        rules=row.rules if with_rules else None,
    )


class ProtocolService:
    """Everything here needs ``manage`` on ``protocol``: the partnership lead."""

    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def _tenant(self) -> Tenant:
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
            for child, parent in _links(policy):
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

    def _draft_policy(self, tenant: Tenant, text: str) -> TenantPolicy:
        parse(text, self.vocabulary(tenant))
        return TenantPolicy(self.access.store.model_path, tenant.slug, -1, text)

    async def preview(self, text: str) -> PreviewOut:
        tenant = await self._tenant()
        live = self.access.policy
        try:
            draft = self._draft_policy(tenant, text)
        except ProtocolError as exc:
            return PreviewOut(valid=False, problems=exc.problems, effects=[], diff=[])
        problems = self._lockout_problems(draft)
        effects = await self.effects(live, draft)
        lines = diff(live.text, text, f"version {live.version}", "draft")
        rules, _links = parse(text, self.vocabulary(tenant))
        members = await active_members(self.session, self.actor.tenant_id)
        warnings = kind_warnings(rules, [(m.kind, m.roles) for m in members])
        return PreviewOut(
            valid=not problems, problems=problems, effects=effects, diff=lines, warnings=warnings
        )

    def _lockout_problems(self, draft: TenantPolicy) -> list[str]:
        grants = draft.grants_for(self.actor.user_id, self.access.subjects)
        if grants.get("protocol", "manage"):
            return []
        return [
            "This change would stop you managing the protocol: keep a 'protocol, manage' "
            "rule for one of your roles."
        ]

    async def effects(self, old: TenantPolicy, new: TenantPolicy) -> list[EffectLine]:
        """Who gains and loses access to which category, for how many people: counted."""
        members = await active_members(self.session, self.actor.tenant_id)
        gained: dict[tuple[str, str], dict[str, set[uuid.UUID]]] = defaultdict(
            lambda: {"users": set(), "orgs": set(), "persons": set()}
        )
        lost: dict[tuple[str, str], dict[str, set[uuid.UUID]]] = defaultdict(
            lambda: {"users": set(), "orgs": set(), "persons": set()}
        )
        for member in members:
            before = old.grants_for(member.user_id, member.subjects)
            after = new.grants_for(member.user_id, member.subjects)
            viewer = Viewer(
                self.actor.tenant_id,
                member.user_id,
                member.organisation_id,
                member.kind,
                self.access.now,
            )
            for category in self.access.categories:
                for action in ACTIONS:
                    if before.get(category, action) == after.get(category, action):
                        continue
                    for bucket, a, b in ((gained, after, before), (lost, before, after)):
                        ids = await self._persons(viewer, a, b, category, action)
                        if ids:
                            entry = bucket[(category, action)]
                            entry["users"].add(member.user_id)
                            entry["orgs"].add(member.organisation_id)
                            entry["persons"] |= ids
        lines = []
        for key in sorted(set(gained) | set(lost)):
            g, lo = gained.get(key), lost.get(key)
            line = EffectLine(
                category=key[0],
                action=key[1],
                users_gaining=len(g["users"]) if g else 0,
                organisations_gaining=len(g["orgs"]) if g else 0,
                persons_gained=len(g["persons"]) if g else 0,
                users_losing=len(lo["users"]) if lo else 0,
                organisations_losing=len(lo["orgs"]) if lo else 0,
                persons_lost=len(lo["persons"]) if lo else 0,
                summary="",
            )
            lines.append(line)
        return [_summarised(line) for line in lines]

    async def _persons(
        self, viewer: Viewer, yes: Grants, no: Grants, category: str, action: str
    ) -> set[uuid.UUID]:
        allowed = person_predicate(viewer, yes, category, action, Person.id)
        before = person_predicate(viewer, no, category, action, Person.id)
        rows = await self.session.scalars(
            select(Person.id).where(Person.tenant_id == viewer.tenant_id, allowed, not_(before))
        )
        return set(rows.all())

    async def publish(self, text: str, reason: str) -> ProtocolVersionOut:
        tenant = await self._tenant()
        try:
            draft = self._draft_policy(tenant, text)
        except ProtocolError as exc:
            raise RuleViolation("; ".join(exc.problems), field="rules") from None
        problems = self._lockout_problems(draft)
        if problems:
            raise RuleViolation(problems[0], field="rules")
        old = self.access.policy
        row = await store_version(
            self.session, tenant, text, reason=reason, user_id=self.actor.user_id
        )
        record(
            self.session,
            self.actor,
            "protocol_change",
            "protocol",
            detail={
                "from_version": old.version,
                "to_version": row.version,
                "reason": reason,
                "diff": diff(old.text, text, f"version {old.version}", f"version {row.version}"),
            },
        )
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
        row = (
            await self.session.execute(
                select(Membership, Organisation, User)
                .join(
                    Organisation,
                    and_(
                        Organisation.tenant_id == Membership.tenant_id,
                        Organisation.id == Membership.organisation_id,
                    ),
                )
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.tenant_id == self.actor.tenant_id,
                    Membership.user_id == user_id,
                    Membership.is_active.is_(True),
                )
            )
        ).one_or_none()
        if row is None:
            raise not_found("Member")
        membership, organisation, user = row
        actor = Actor(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            tenant_id=self.actor.tenant_id,
            tenant_slug=self.actor.tenant_slug,
            nation=self.actor.nation,
            membership_id=membership.id,
            organisation_id=organisation.id,
            organisation_kind=organisation.kind,
            roles=tuple(membership.roles),
            enabled_plugins=self.actor.enabled_plugins,
            policy_version=self.actor.policy_version,
        )
        return Access(
            self.session,
            actor,
            self.access.store,
            self.access.policy,
            self.access.categories,
            self.access.now,
        )


def _links(policy: TenantPolicy) -> list[tuple[str, str]]:
    return [
        (row[0], row[1])
        for row in policy.enforcer.get_named_grouping_policy("g")
        if not row[0].startswith("u:")
    ]


def _summarised(line: EffectLine) -> EffectLine:
    parts = []
    label = line.category.replace("_", " ").capitalize()
    if line.users_gaining:
        parts.append(
            f"lets {line.users_gaining} user{'s' if line.users_gaining != 1 else ''} in "
            f"{line.organisations_gaining} organisation"
            f"{'s' if line.organisations_gaining != 1 else ''} {line.action} {label} for "
            f"{line.persons_gained} {'people' if line.persons_gained != 1 else 'person'}"
        )
    if line.users_losing:
        parts.append(
            f"stops {line.users_losing} user{'s' if line.users_losing != 1 else ''} in "
            f"{line.organisations_losing} organisation"
            f"{'s' if line.organisations_losing != 1 else ''} from {line.action}ing {label} "
            f"for {line.persons_lost} {'people' if line.persons_lost != 1 else 'person'}"
        )
    summary = "This change " + " and ".join(parts) if parts else "No one's access changes."
    return msgspec.structs.replace(line, summary=summary)


def grant_out(row: BreakGlassGrant, now: Any) -> BreakGlassOut:
    return BreakGlassOut(
        id=row.id,
        user_id=row.user_id,
        person_id=row.person_id,
        category=row.category,
        reason=row.reason,
        created_at=row.created_at,
        expires_at=row.expires_at,
        active=row.ended_at is None and row.expires_at > now,
        reviewed_at=row.reviewed_at,
        reviewed_by=row.reviewed_by,
        review_note=row.review_note,
    )


class BreakGlassService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def open(self, data: BreakGlassRequest) -> BreakGlassOut:
        if data.category not in self.access.categories:
            raise RuleViolation(f"Unknown category {data.category!r}", field="category")
        await self.access.visible_person(data.person_id)
        if data.category in await self.access.readable_categories(data.person_id):
            raise Conflict(detail=f"You can already read {data.category} for this person")
        grant = BreakGlassGrant(
            tenant_id=self.actor.tenant_id,
            user_id=self.actor.user_id,
            person_id=data.person_id,
            category=data.category,
            reason=data.reason,
            expires_at=self.access.now + timedelta(minutes=data.minutes),
        )
        self.session.add(grant)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "break_glass",
            data.category,
            grant.id,
            person_id=data.person_id,
            rule="break-glass",
            detail={"reason": data.reason, "minutes": data.minutes},
        )
        await self._alert_leads(grant)
        await self.session.commit()
        self.access.forget(data.person_id)
        return grant_out(grant, self.access.now)

    async def _alert_leads(self, grant: BreakGlassGrant) -> None:
        from core.notifications.services import notify

        members = await active_members(self.session, self.actor.tenant_id)
        leads = [
            m.user_id
            for m in members
            if self.access.policy.grants_for(m.user_id, m.subjects).get("protocol", "manage")
        ]
        await notify(
            self.session,
            self.actor.tenant_id,
            leads,
            kind="break_glass",
            title="Break-glass access to review",
            link=f"/t/{self.actor.tenant_slug}/protocol/break-glass",
            key=f"break-glass:{grant.id}",
            person_id=grant.person_id,
        )

    async def queue(self, *, reviewed: bool) -> list[BreakGlassOut]:
        await self.access.require_tenant("protocol", "manage")
        condition = (
            BreakGlassGrant.reviewed_at.is_not(None)
            if reviewed
            else BreakGlassGrant.reviewed_at.is_(None)
        )
        rows = await self.session.scalars(
            select(BreakGlassGrant)
            .where(BreakGlassGrant.tenant_id == self.actor.tenant_id, condition)
            .order_by(BreakGlassGrant.created_at.desc())
            .limit(200)
        )
        return [grant_out(r, self.access.now) for r in rows.all()]

    async def mine(self) -> list[BreakGlassOut]:
        rows = await self.session.scalars(
            select(BreakGlassGrant)
            .where(
                BreakGlassGrant.tenant_id == self.actor.tenant_id,
                BreakGlassGrant.user_id == self.actor.user_id,
            )
            .order_by(BreakGlassGrant.created_at.desc())
            .limit(100)
        )
        return [grant_out(r, self.access.now) for r in rows.all()]

    async def review(self, grant_id: uuid.UUID, note: str) -> BreakGlassOut:
        await self.access.require_tenant("protocol", "manage")
        grant = await self.session.get(BreakGlassGrant, (self.actor.tenant_id, grant_id))
        if grant is None:
            raise not_found("Break-glass grant")
        if grant.reviewed_at is not None:
            raise Conflict(detail="This break-glass grant has already been reviewed")
        if grant.user_id == self.actor.user_id:
            # A review is a second pair of eyes: the one who broke the glass cannot give it.
            record(
                self.session,
                self.actor,
                "deny",
                grant.category,
                grant.id,
                person_id=grant.person_id,
                detail={"action": "break_glass_review", "reason": "own grant"},
            )
            await self.session.commit()
            raise PermissionDeniedException(
                detail="You opened this break-glass grant: another lead must review it."
            )
        grant.reviewed_at = self.access.now
        grant.reviewed_by = self.actor.user_id
        grant.review_note = note
        record(
            self.session,
            self.actor,
            "break_glass_review",
            grant.category,
            grant.id,
            person_id=grant.person_id,
            detail={"note": note},
        )
        await self.session.commit()
        return grant_out(grant, self.access.now)

    async def count_unreviewed(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(BreakGlassGrant)
                .where(
                    BreakGlassGrant.tenant_id == self.actor.tenant_id,
                    BreakGlassGrant.reviewed_at.is_(None),
                )
            )
            or 0
        )
