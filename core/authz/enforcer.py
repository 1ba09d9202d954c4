"""One policy store per process: each partnership's Casbin enforcer, reloaded on change.

Each tenant has its own enforcer over its live protocol version, so a change to one
partnership's protocol reloads only that partnership, and a very long protocol in one
partnership never slows another's checks. A request carries the tenant's current
``policy_version`` (read with the actor), so a process whose enforcer is older reloads
before deciding: a lost pub/sub message cannot leave a process stale.

What a user may do is compiled once per (protocol version, set of subjects) into
:class:`Grants`; lists turn grants into SQL, so ``enforce()`` is never called per row.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import casbin
import msgspec
from casbin.persist.adapters import StringAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.protocol import KIND_RESTRICTED_ROLES, SCOPES, live_version, policy_lines

SCOPE_RANK = {scope: rank for rank, scope in enumerate(SCOPES)}


def scope_covers(policy_scope: str, request_scope: str) -> bool:
    """A rule for people at ``policy_scope`` covers everyone closer than that."""
    return SCOPE_RANK.get(request_scope, 99) <= SCOPE_RANK.get(policy_scope, -1)


def consent_met(policy_consent: str, request_consent: str) -> bool:
    return policy_consent == "no_consent" or request_consent == "given"


class Grant(msgspec.Struct, frozen=True, order=True):
    """One rule as it applies to a user: up to ``scope``, with or without consent."""

    scope: str
    consent: bool
    rule: str


def allows(grants: tuple[Grant, ...], scope: str, consent_given: bool) -> Grant | None:
    """The grant that allows a request at ``scope``, the same test as the Casbin matcher."""
    for grant in grants:
        if scope_covers(grant.scope, scope) and (not grant.consent or consent_given):
            return grant
    return None


class Grants(msgspec.Struct, frozen=True):
    """Everything one set of subjects may do: ``{(category, action): grants}``."""

    by_key: dict[tuple[str, str], tuple[Grant, ...]]

    def get(self, category: str, action: str) -> tuple[Grant, ...]:
        return self.by_key.get((category, action), ())

    def categories(self, action: str) -> set[str]:
        return {category for category, act in self.by_key if act == action}


def user_subject(user_id: uuid.UUID) -> str:
    return f"u:{user_id}"


def subjects_of(roles: tuple[str, ...], organisation_kind: str) -> frozenset[str]:
    """The Casbin subjects a member acts as: their roles, and their organisation's kind.

    A line for an organisation kind is meant for the organisation's practitioners: it
    reaches a member only through a role the protocol does not restrict, so an analyst
    (or a platform admin) employed by an NHS board never reads case data as ``k:nhs``.
    """
    subjects = {f"r:{r}" for r in roles}
    if any(role not in KIND_RESTRICTED_ROLES for role in roles):
        subjects.add(f"k:{organisation_kind}")
    return frozenset(subjects)


class TenantPolicy:
    """One tenant's enforcer at one protocol version."""

    def __init__(self, model_path: Path, domain: str, version: int, text: str) -> None:
        self.domain = domain
        self.version = version
        self.text = text
        lines = policy_lines(text)
        # No rules at all is a valid protocol (nothing is shared): Casbin's string adapter
        # refuses empty text, so an empty protocol gets no adapter.
        adapter = StringAdapter("\n".join(lines)) if lines else None
        self.enforcer = casbin.Enforcer(str(model_path), adapter)
        self.enforcer.enable_auto_save(False)
        self.enforcer.add_function("scope_covers", scope_covers)
        self.enforcer.add_function("consent_met", consent_met)
        self._users: dict[str, frozenset[str]] = {}
        self._grants: dict[frozenset[str], Grants] = {}
        self.enforce_calls = 0

    def bind_user(self, user_id: uuid.UUID, subjects: frozenset[str]) -> str:
        """Make the enforcer's g rows for this user match their membership now.

        Memberships are read fresh with every request, so the enforcer learns a user's
        roles from the request, never from a copy that could be out of date.
        """
        name = user_subject(user_id)
        if self._users.get(name) != subjects:
            for old in self._users.get(name, frozenset()) - subjects:
                self.enforcer.remove_grouping_policy(name, old, self.domain)
            for new in subjects - self._users.get(name, frozenset()):
                self.enforcer.add_grouping_policy(name, new, self.domain)
            self._users[name] = subjects
        return name

    def grants_for(self, user_id: uuid.UUID, subjects: frozenset[str]) -> Grants:
        cached = self._grants.get(subjects)
        if cached is not None:
            return cached
        name = self.bind_user(user_id, subjects)
        by_key: dict[tuple[str, str], list[Grant]] = {}
        for row in self.enforcer.get_implicit_permissions_for_user(name, self.domain):
            subject, _domain, category, action, scope, consent = row[:6]
            rule = f"{subject}, {category}, {action}, {scope}, {consent}"
            by_key.setdefault((category, action), []).append(
                Grant(scope=scope, consent=consent == "consent", rule=rule)
            )
        # Widest no-consent grant first: the one an explanation should name.
        grants = Grants(
            by_key={
                key: tuple(sorted(set(value), key=lambda g: (g.consent, -SCOPE_RANK[g.scope])))
                for key, value in by_key.items()
            }
        )
        self._grants[subjects] = grants
        return grants

    def enforce(
        self,
        user_id: uuid.UUID,
        subjects: frozenset[str],
        category: str,
        action: str,
        scope: str,
        consent_given: bool,
    ) -> tuple[bool, list[str]]:
        """Casbin's own decision, with the rule that matched."""
        name = self.bind_user(user_id, subjects)
        self.enforce_calls += 1
        allowed, explain = self.enforcer.enforce_ex(
            name, self.domain, category, action, scope, "given" if consent_given else "absent"
        )
        return bool(allowed), list(explain)


class PolicyStore:
    """The process's policies, one :class:`TenantPolicy` per tenant, kept current."""

    def __init__(self, model_path: Path) -> None:
        self.model_path = model_path
        self._tenants: dict[uuid.UUID, TenantPolicy] = {}
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self.enforce_calls = 0
        self.reloads = 0

    def invalidate(self, tenant_id: uuid.UUID, version: int | None = None) -> None:
        """Forget a tenant's enforcer (from the pub/sub watcher); the next use reloads."""
        current = self._tenants.get(tenant_id)
        if current is not None and (version is None or current.version < version):
            del self._tenants[tenant_id]

    def cached(self, tenant_id: uuid.UUID) -> TenantPolicy | None:
        return self._tenants.get(tenant_id)

    async def get(
        self, session: AsyncSession, tenant_id: uuid.UUID, domain: str, version: int
    ) -> TenantPolicy:
        current = self._tenants.get(tenant_id)
        if current is not None and current.version >= version:
            return current
        lock = self._locks.setdefault(tenant_id, asyncio.Lock())
        async with lock:
            current = self._tenants.get(tenant_id)
            if current is not None and current.version >= version:
                return current
            row = await live_version(session, tenant_id)
            text, number = (row.rules, row.version) if row else ("", 0)
            policy = TenantPolicy(self.model_path, domain, number, text)
            self._tenants[tenant_id] = policy
            self.reloads += 1
            return policy
