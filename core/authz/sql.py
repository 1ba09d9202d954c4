"""Grants turned into SQL: the WHERE clauses that filter every list of case data.

Each scope is an EXISTS over an index that starts with ``tenant_id``; consent and
break-glass are EXISTS over theirs. The same rules decide a single record in
``core.authz.access`` and in Casbin's matcher; the property tests hold all three equal.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select, true

from core.authz.enforcer import Grant, Grants, scope_covers
from core.authz.models import BreakGlassGrant, PersonAssignment, PersonOrganisation
from core.consents.models import Consent


def probe(query: Select[Any]) -> ColumnElement[bool]:
    """EXISTS as a per-row index probe.

    PostgreSQL turns a correlated EXISTS into a hashed subplan that reads every row the
    relation has (every person an organisation works with) on each request. ``OFFSET 0``
    is its planner's fence against that: the subquery stays a probe of an index that
    starts with ``tenant_id``, run for the page-sized set of candidate rows, so a
    caseload page costs the same however large the caseload is. SQLite probes anyway.
    """
    return exists(query.offset(0))


class Viewer:
    """The facts about the acting user that the SQL needs."""

    def __init__(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        organisation_id: uuid.UUID,
        organisation_kind: str,
        now: datetime,
    ) -> None:
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.organisation_id = organisation_id
        self.organisation_kind = organisation_kind
        self.now = now

    def assigned(self, person_id: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
        return probe(
            select(literal(1)).where(
                PersonAssignment.tenant_id == self.tenant_id,
                PersonAssignment.user_id == self.user_id,
                PersonAssignment.person_id == person_id,
            )
        )

    def own_organisation(self, person_id: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
        linked = probe(
            select(literal(1)).where(
                PersonOrganisation.tenant_id == self.tenant_id,
                PersonOrganisation.organisation_id == self.organisation_id,
                PersonOrganisation.person_id == person_id,
            )
        )
        # Assigned is the closer relation, so it counts as working with the person too.
        return or_(linked, self.assigned(person_id))

    def consent_in_force(self, person_id: Any) -> list[ColumnElement[bool]]:
        """A consent row that shares with this viewer now (given, not withdrawn or expired)."""
        return [
            Consent.tenant_id == self.tenant_id,
            Consent.person_id == person_id,
            or_(
                Consent.recipient_organisation_id == self.organisation_id,
                Consent.recipient_kind == self.organisation_kind,
            ),
            Consent.given_at <= self.now,
            Consent.withdrawn_at.is_(None),
            or_(Consent.expires_at.is_(None), Consent.expires_at > self.now),
        ]

    def consented(
        self, person_id: ColumnElement[uuid.UUID], category: ColumnElement[str] | str
    ) -> ColumnElement[bool]:
        return probe(
            select(literal(1)).where(
                Consent.category == category, *self.consent_in_force(person_id)
            )
        )

    def glass_in_force(self, person_id: Any) -> list[ColumnElement[bool]]:
        """A break-glass grant of this viewer's for the person that has not run out."""
        return [
            BreakGlassGrant.tenant_id == self.tenant_id,
            BreakGlassGrant.user_id == self.user_id,
            BreakGlassGrant.person_id == person_id,
            BreakGlassGrant.expires_at > self.now,
            BreakGlassGrant.ended_at.is_(None),
        ]

    def broken_glass(
        self, person_id: ColumnElement[uuid.UUID], category: ColumnElement[str] | str
    ) -> ColumnElement[bool]:
        return probe(
            select(literal(1)).where(
                BreakGlassGrant.category == category, *self.glass_in_force(person_id)
            )
        )

    def scope(self, scope: str, person_id: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
        if scope == "partnership":
            return true()
        if scope == "own_organisation":
            return self.own_organisation(person_id)
        return self.assigned(person_id)


def _simplest(grants: Iterable[Grant]) -> list[tuple[str, bool]]:
    """Drop grants another grant already covers (same or wider scope, no more consent)."""
    pairs = sorted({(g.scope, g.consent) for g in grants})
    kept = []
    for scope, consent in pairs:
        covered = any(
            (s, c) != (scope, consent) and scope_covers(s, scope) and (not c or consent)
            for s, c in pairs
        )
        if not covered:
            kept.append((scope, consent))
    return kept


def grant_predicate(
    viewer: Viewer,
    grants: Iterable[Grant],
    person_id: ColumnElement[uuid.UUID],
    category: ColumnElement[str] | str,
) -> ColumnElement[bool]:
    terms: list[ColumnElement[bool]] = []
    for scope, consent in _simplest(grants):
        term = viewer.scope(scope, person_id)
        if consent:
            term = and_(term, viewer.consented(person_id, category))
        terms.append(term)
    if not terms:
        return false()
    return or_(*terms)


def person_predicate(
    viewer: Viewer,
    grants: Grants,
    category: str,
    action: str,
    person_id: ColumnElement[uuid.UUID],
) -> ColumnElement[bool]:
    """Rows about people for whom the viewer may ``action`` the fixed ``category``."""
    predicate = grant_predicate(viewer, grants.get(category, action), person_id, category)
    if action == "read":
        predicate = or_(predicate, viewer.broken_glass(person_id, category))
    return predicate


def row_predicate(
    viewer: Viewer,
    grants: Grants,
    categories: Iterable[str],
    action: str,
    person_id: ColumnElement[uuid.UUID],
    category: ColumnElement[str],
) -> ColumnElement[bool]:
    """Rows that carry their own category column (interventions, assessments).

    Categories with the same grants share one term: ``category IN (...) AND scope``.
    """
    groups: dict[tuple[tuple[str, bool], ...], list[str]] = {}
    for name in sorted(set(categories)):
        key = tuple(_simplest(grants.get(name, action)))
        if key:
            groups.setdefault(key, []).append(name)
    terms: list[ColumnElement[bool]] = []
    for key, names in groups.items():
        grants_here = [Grant(scope=s, consent=c, rule="") for s, c in key]
        terms.append(
            and_(category.in_(names), grant_predicate(viewer, grants_here, person_id, category))
        )
    if action == "read":
        terms.append(viewer.broken_glass(person_id, category))
    return or_(*terms) if terms else false()
