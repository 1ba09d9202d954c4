"""Grants turned into SQL: the WHERE clauses that filter every list of case data.

Each scope is an EXISTS over an index that starts with ``tenant_id``; consent and
break-glass are EXISTS over theirs (the probes are :class:`core.authz.viewer.Viewer`'s).
The same rules decide a single record in ``core.authz.access`` and in Casbin's matcher;
the property tests hold all three equal.

A scoped caseload is also *driven* by those tables: ``core.authz.caseload_sql``. Its
names, and the viewer's, are importable from here too, as callers have always found them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from core.authz.caseload_sql import CaseloadPage, Source, caseload_page, caseload_sources
from core.authz.enforcer import Grant, Grants
from core.authz.viewer import Terms, Timeless, Viewer, probe, simplest

__all__ = [
    "CaseloadPage",
    "Source",
    "Viewer",
    "caseload_page",
    "caseload_sources",
    "grant_predicate",
    "person_predicate",
    "probe",
    "row_predicate",
]


def grant_predicate(
    viewer: Viewer,
    grants: Iterable[Grant],
    person_id: ColumnElement[uuid.UUID],
    category: ColumnElement[str] | str,
) -> ColumnElement[bool]:
    terms: list[ColumnElement[bool]] = []
    for scope, consent in simplest(grants):
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
    terms = tuple(simplest(grants.get(category, action)))
    if ("partnership", False) in terms:
        return true()  # everyone: no probe at all, not even break-glass
    glass = action == "read" and viewer.break_glass
    timeless = not glass and not any(consent for _, consent in terms)
    if timeless and isinstance(person_id, InstrumentedAttribute):
        # Building SQL costs more than running it for a page: the same viewer and grants
        # reuse one tree (no time in it, so nothing in it goes stale).
        return _cached_predicate(viewer, terms, category, person_id.class_, person_id.key)
    return _predicate(viewer, terms, category, glass, person_id)


def _predicate(
    viewer: Viewer,
    terms: Terms,
    category: str,
    glass: bool,
    person_id: ColumnElement[uuid.UUID],
) -> ColumnElement[bool]:
    grants = [Grant(scope=s, consent=c, rule="") for s, c in terms]
    predicate = grant_predicate(viewer, grants, person_id, category)
    if glass:
        predicate = or_(predicate, viewer.broken_glass(person_id, category))
    return predicate


def _cached_predicate(
    viewer: Viewer,
    terms: Terms,
    category: str,
    entity: type,
    attribute: str,
) -> ColumnElement[bool]:
    return _timeless_predicate(Timeless(viewer), terms, category, entity, attribute)


@lru_cache(maxsize=4096)
def _timeless_predicate(
    viewer: Timeless,
    terms: Terms,
    category: str,
    entity: type,
    attribute: str,
) -> ColumnElement[bool]:
    return _predicate(viewer.viewer, terms, category, False, getattr(entity, attribute))


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
    groups: dict[Terms, list[str]] = {}
    for name in sorted(set(categories)):
        key = tuple(simplest(grants.get(name, action)))
        if key:
            groups.setdefault(key, []).append(name)
    terms: list[ColumnElement[bool]] = []
    for key, names in groups.items():
        grants_here = [Grant(scope=s, consent=c, rule="") for s, c in key]
        terms.append(
            and_(category.in_(names), grant_predicate(viewer, grants_here, person_id, category))
        )
    if action == "read" and viewer.break_glass:
        terms.append(viewer.broken_glass(person_id, category))
    return or_(*terms) if terms else false()
