"""The one enforcement point: what the acting user may see and do, for this request.

Every endpoint, page, export and job that touches case data asks an :class:`Access`:

- a list puts :meth:`Access.person_filter` (or :meth:`Access.rows_filter` for rows that
  carry their own category) in its WHERE clause: no ``enforce()`` per row, ever; the
  unfiltered caseload reads the same grants from the user's side (:meth:`Access.caseload`);
- a single record returns only :meth:`Access.readable_categories`, naming the rest as
  restricted;
- a write calls :meth:`Access.require`, which asks Casbin once.

Deny by default: with no protocol, or no rule, nothing is visible.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.actor import Actor
from core.authz.enforcer import (
    SCOPE_RANK,
    Grant,
    Grants,
    PolicyStore,
    TenantPolicy,
    allows,
    subjects_of,
)
from core.authz.models import BreakGlassGrant
from core.authz.sql import (
    CaseloadPage,
    Viewer,
    caseload_page,
    person_predicate,
    row_predicate,
)
from core.consents.models import Consent
from core.errors import not_found
from core.persons.models import Person
from core.vocabulary import tenant_categories

RELATION_PHRASE = {
    "assigned": "assigned to you",
    "own_organisation": "someone your organisation works with",
    "partnership": "in the partnership",
}
SCOPE_PHRASE = {
    "assigned": "they are key worker for or allocated to",
    "own_organisation": "their organisation works with",
    "partnership": "in the partnership",
}


class Relation(msgspec.Struct, frozen=True):
    """How the acting user stands to one person."""

    scope: str
    consented: frozenset[str]
    broken_glass: frozenset[str]


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    category: str
    action: str
    scope: str
    consent_given: bool
    rule: str | None
    reason: str
    # For a refusal, the rule that came nearest (too narrow a scope, or needing consent):
    # kept for the audit and the lead's explain page, never put into the words a user reads.
    nearest_rule: str | None = None


def category_words(category: str) -> str:
    """A category as it reads in a sentence: ``substance_use`` is "substance use"."""
    return category.replace("_", " ")


def explain(
    grants: tuple[Grant, ...],
    category: str,
    action: str,
    relation: Relation,
) -> Decision:
    """The decision for one category of one person, and the plain words for why.

    The words name the category and the relation, never the rule: a worker reads them on
    a page, and rule syntax tells them nothing they can act on.
    """
    given = category in relation.consented
    grant = allows(grants, relation.scope, given)
    if grant is not None:
        reason = (
            f"Allowed by the protocol: the person is {RELATION_PHRASE[relation.scope]}"
            f"{' and has consented' if grant.consent else ''}."
        )
        return Decision(True, category, action, relation.scope, given, grant.rule, reason)
    if action == "read" and category in relation.broken_glass:
        return Decision(
            True,
            category,
            action,
            relation.scope,
            given,
            "break-glass",
            "Allowed by an active break-glass grant.",
        )
    if not grants:
        reason = (
            f"The protocol gives your roles and organisation no {action} access to "
            f"{category_words(category)} information."
        )
        return Decision(False, category, action, relation.scope, given, None, reason)
    widest = max(grants, key=lambda g: SCOPE_RANK[g.scope])
    if not any(SCOPE_RANK[relation.scope] <= SCOPE_RANK[g.scope] for g in grants):
        nearest = widest
        reason = (
            f"The protocol allows {action} on {category_words(category)} only for people "
            f"{SCOPE_PHRASE[widest.scope]}, and this person is not."
        )
    else:
        nearest = next(g for g in grants if g.consent)
        reason = (
            f"{category_words(category).capitalize()} is shared with you only with the "
            "person's consent, "
            "and there is no active consent for your organisation."
        )
    return Decision(
        False, category, action, relation.scope, given, None, reason, nearest_rule=nearest.rule
    )


class Access:
    def __init__(
        self,
        session: AsyncSession,
        actor: Actor,
        store: PolicyStore,
        policy: TenantPolicy,
        categories: list[str],
        now: datetime | None = None,
    ) -> None:
        self.session = session
        self.actor = actor
        self.store = store
        self.policy = policy
        self.categories = categories
        self.now = now or datetime.now(UTC)
        self.subjects = subjects_of(actor.roles, actor.organisation_kind)
        self.grants: Grants = policy.grants_for(actor.user_id, self.subjects)
        self.viewer = Viewer(
            actor.tenant_id,
            actor.user_id,
            actor.organisation_id,
            actor.organisation_kind,
            self.now,
            actor.break_glass,
        )
        self._relations: dict[uuid.UUID, Relation] = {}

    # ---- lists: SQL, never a check per row -------------------------------------------

    def person_filter(
        self,
        category: str,
        action: str = "read",
        person_id: Any = None,
    ) -> ColumnElement[bool]:
        """WHERE clause: rows about people whose ``category`` the user may ``action``."""
        column = Person.id if person_id is None else person_id
        return and_(
            self._own_tenant(column),
            person_predicate(self.viewer, self.grants, category, action, column),
        )

    def caseload(
        self, category: str, after: tuple[str, uuid.UUID] | None, limit: int
    ) -> CaseloadPage | None:
        """The next ``limit`` people of a scoped caseload: the filter, read the other way.

        The same grants as :meth:`person_filter`, but as the viewer's own index ranges
        (their organisation's people, their assignments, consents to them) in name order,
        so a page costs the same whatever share of the partnership the viewer sees. None
        for a partnership-wide viewer, whose caseload is the persons table.
        """
        return caseload_page(self.viewer, self.grants, category, after, limit)

    def rows_filter(
        self, category: Any, person_id: Any, action: str = "read"
    ) -> ColumnElement[bool]:
        """WHERE clause for rows that carry their own ``category`` column."""
        return and_(
            self._own_tenant(person_id),
            row_predicate(self.viewer, self.grants, self.categories, action, person_id, category),
        )

    def _own_tenant(self, column: Any) -> ColumnElement[bool]:
        """The filter carries its tenant itself: a caller who forgets it leaks nothing."""
        owner = getattr(column, "class_", None)
        tenant_column = owner.tenant_id if owner is not None else column.table.c.tenant_id
        return tenant_column == self.actor.tenant_id

    # ---- partnership-level permissions (protocol, reports) ------------------------------

    def can(self, category: str, action: str) -> bool:
        return bool(self.grants.get(category, action))

    async def require_tenant(self, category: str, action: str) -> None:
        if not self.can(category, action):
            reason = (
                f"The protocol does not give your roles {action} access to "
                f"{category_words(category)}."
            )
            await self._deny(category, action, None, reason)

    # ---- one person --------------------------------------------------------------------

    async def relation(self, person_id: uuid.UUID) -> Relation:
        cached = self._relations.get(person_id)
        if cached is not None:
            return cached
        v, pid = self.viewer, person_id
        assigned, linked = (
            await self.session.execute(select(v.assigned(pid), v.own_organisation(pid)))
        ).one()
        scope = "assigned" if assigned else "own_organisation" if linked else "partnership"
        # Plain queries over each table's own rows: an EXISTS nested over the same table
        # would correlate to nothing and let one consent count for every category.
        consented = (
            await self.session.scalars(
                select(Consent.category).where(*v.consent_in_force(pid)).distinct()
            )
        ).all()
        glass = (
            await self.session.scalars(
                select(BreakGlassGrant.category).where(*v.glass_in_force(pid)).distinct()
            )
        ).all()
        relation = Relation(scope, frozenset(consented), frozenset(glass))
        self._relations[person_id] = relation
        return relation

    def forget(self, person_id: uuid.UUID) -> None:
        """A write changed how the user stands to the person (e.g. they became key worker)."""
        self._relations.pop(person_id, None)

    async def decide(self, category: str, action: str, person_id: uuid.UUID) -> Decision:
        """The compiled decision (the same as Casbin's), without raising."""
        relation = await self.relation(person_id)
        return explain(self.grants.get(category, action), category, action, relation)

    async def readable_categories(self, person_id: uuid.UUID) -> set[str]:
        relation = await self.relation(person_id)
        return {
            c
            for c in self.categories
            if explain(self.grants.get(c, "read"), c, "read", relation).allowed
        }

    async def readable_for(
        self, person_ids: list[uuid.UUID], categories: tuple[str, ...] | list[str]
    ) -> dict[uuid.UUID, set[str]]:
        """Of ``categories``, those the user may read, for each of a page of people.

        One statement for the whole page (each category is the list's own SQL filter as a
        column), so a list decides its fields as the record does, without a check per row.
        """
        if not person_ids:
            return {}
        wanted = [c for c in categories if c in self.categories]
        columns = [self.person_filter(c).label(f"c{i}") for i, c in enumerate(wanted)]
        rows = await self.session.execute(
            select(Person.id, *columns).where(
                Person.tenant_id == self.actor.tenant_id, Person.id.in_(set(person_ids))
            )
        )
        return {
            row[0]: {c for c, flag in zip(wanted, row[1:], strict=True) if flag}
            for row in rows.all()
        }

    async def writable_categories(self, person_id: uuid.UUID) -> set[str]:
        """The categories the user may write for this person: :meth:`require`'s decision.

        A page offers a form only when this says it can be sent; the relation is the one
        the record's reads already loaded, so this asks the database nothing more.
        """
        relation = await self.relation(person_id)
        return {
            c
            for c in self.categories
            # Break-glass only ever adds a read, so a write here is the protocol's alone.
            if explain(self.grants.get(c, "write"), c, "write", relation).allowed
        }

    async def visible_person(self, person_id: uuid.UUID) -> Person:
        """The person, if the user may read who they are; otherwise the plain 404."""
        person = await self.session.get(Person, (self.actor.tenant_id, person_id))
        if person is None or not (await self.decide("identity", "read", person_id)).allowed:
            raise not_found("Person")
        return person

    async def require(self, category: str, action: str, person_id: uuid.UUID) -> Decision:
        """Casbin decides a write (one ``enforce()``); a denial is audited and refused.

        A person the user may not even know of answers 404, never a hint.
        """
        await self.visible_person(person_id)
        relation = await self.relation(person_id)
        given = category in relation.consented
        self.store.enforce_calls += 1
        allowed, _rule = self.policy.enforce(
            self.actor.user_id, self.subjects, category, action, relation.scope, given
        )
        decision = explain(self.grants.get(category, action), category, action, relation)
        # Break-glass lies outside the protocol, and only ever adds a read.
        if allowed or decision.rule == "break-glass":
            return decision
        await self._deny(category, action, person_id, decision.reason, decision.nearest_rule)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _deny(
        self,
        category: str,
        action: str,
        person_id: uuid.UUID | None,
        reason: str,
        rule: str | None = None,
    ) -> None:
        # Anything the handler had pending is dropped; the denial itself is kept.
        await self.session.rollback()
        record(
            self.session,
            self.actor,
            "deny",
            category,
            person_id=person_id,
            detail={"action": action, "reason": reason, "rule": rule},
        )
        await self.session.commit()
        raise PermissionDeniedException(detail=reason)


@lru_cache(maxsize=256)
def categories_for(pm: Any, enabled_plugins: tuple[str, ...]) -> tuple[str, ...]:
    """A tenant's categories, asked of the plugins once per set of switched-on plugins."""
    return tuple(tenant_categories(pm, enabled_plugins))


async def make_access(
    session: AsyncSession, actor: Actor, state: Any, now: datetime | None = None
) -> Access:
    store: PolicyStore = state.policies
    policy = await store.get(session, actor.tenant_id, actor.tenant_slug, actor.policy_version)
    categories = list(categories_for(state.plugin_manager, actor.enabled_plugins))
    return Access(session, actor, store, policy, categories, now)


async def provide_access(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
) -> Access:
    return await make_access(db_session, actor, request.app.state)
