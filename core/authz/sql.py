"""Grants turned into SQL: the WHERE clauses that filter every list of case data.

Each scope is an EXISTS over an index that starts with ``tenant_id``; consent and
break-glass are EXISTS over theirs. The same rules decide a single record in
``core.authz.access`` and in Casbin's matcher; the property tests hold all three equal.

A scoped caseload is also *driven* by those tables: :func:`caseload_sources` names the
index ranges (people my organisation works with, people assigned to me, people who
consented to share with me) whose rows, in name order, hold everyone the viewer may
see, so a page reads about a page of rows instead of walking the whole partnership.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    exists,
    false,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute

from core.authz.enforcer import Grant, Grants, scope_covers
from core.authz.models import BreakGlassGrant, PersonAssignment, PersonOrganisation
from core.consents.models import Consent
from core.persons.models import Person


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
        break_glass: bool = True,
    ) -> None:
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.organisation_id = organisation_id
        self.organisation_kind = organisation_kind
        self.now = now
        # False when the user holds no grant in force: lists then leave the probe out.
        self.break_glass = break_glass

    @property
    def key(self) -> tuple[Any, ...]:
        """Everything but ``now``: the same viewer builds the same time-free SQL."""
        return (
            self.tenant_id,
            self.user_id,
            self.organisation_id,
            self.organisation_kind,
            self.break_glass,
        )

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
            Consent.person_id == person_id,
            or_(
                Consent.recipient_organisation_id == self.organisation_id,
                Consent.recipient_kind == self.organisation_kind,
            ),
            *self.consent_current(),
        ]

    def consent_current(self) -> list[ColumnElement[bool]]:
        """A consent row of this tenant that has been given and has not ended."""
        return [
            Consent.tenant_id == self.tenant_id,
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

    # ---- caseload sources: (sort_name, person_id) rows in name order -----------------

    def linked_rows(self) -> Select[Any]:
        return select(PersonOrganisation.sort_name, PersonOrganisation.person_id).where(
            PersonOrganisation.tenant_id == self.tenant_id,
            PersonOrganisation.organisation_id == self.organisation_id,
        )

    def assigned_rows(self) -> Select[Any]:
        return select(PersonAssignment.sort_name, PersonAssignment.person_id).where(
            PersonAssignment.tenant_id == self.tenant_id,
            PersonAssignment.user_id == self.user_id,
        )

    def consent_rows(self, category: str) -> list[Select[Any]]:
        """Consents shared with this organisation, and with its kind: one index range each."""
        rows = select(Consent.sort_name, Consent.person_id).where(
            Consent.category == category, *self.consent_current()
        )
        return [
            rows.where(Consent.recipient_organisation_id == self.organisation_id),
            rows.where(Consent.recipient_kind == self.organisation_kind),
        ]

    def glass_rows(self, category: str) -> Select[Any]:
        # Few rows (the user's own grants in force), so the person's name is joined, not kept.
        return (
            select(Person.sort_name, Person.id.label("person_id"))
            .join(
                BreakGlassGrant,
                and_(
                    BreakGlassGrant.tenant_id == Person.tenant_id,
                    BreakGlassGrant.person_id == Person.id,
                ),
            )
            .where(BreakGlassGrant.category == category, *self.glass_in_force(Person.id))
        )


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
    terms = tuple(_simplest(grants.get(category, action)))
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
    terms: tuple[tuple[str, bool], ...],
    category: str,
    glass: bool,
    person_id: ColumnElement[uuid.UUID],
) -> ColumnElement[bool]:
    grants = [Grant(scope=s, consent=c, rule="") for s, c in terms]
    predicate = grant_predicate(viewer, grants, person_id, category)
    if glass:
        predicate = or_(predicate, viewer.broken_glass(person_id, category))
    return predicate


class _Timeless:
    """A viewer as a cache key: equal when everything but ``now`` is."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    def __hash__(self) -> int:
        return hash(self.viewer.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Timeless) and other.viewer.key == self.viewer.key


def _cached_predicate(
    viewer: Viewer,
    terms: tuple[tuple[str, bool], ...],
    category: str,
    entity: type,
    attribute: str,
) -> ColumnElement[bool]:
    return _timeless_predicate(_Timeless(viewer), terms, category, entity, attribute)


@lru_cache(maxsize=4096)
def _timeless_predicate(
    viewer: _Timeless,
    terms: tuple[tuple[str, bool], ...],
    category: str,
    entity: type,
    attribute: str,
) -> ColumnElement[bool]:
    return _predicate(viewer.viewer, terms, category, False, getattr(entity, attribute))


class CaseloadPage(NamedTuple):
    """The next page of a scoped caseload, as (sort_name, person_id) rows.

    The statement is built once per viewer and protocol and kept; what changes from one
    request to the next (the cursor, the page size, the time) is in ``params``, which
    must be passed when the statement runs. Forgetting them is an error, never a leak.
    """

    rows: Subquery
    params: dict[str, Any]


def caseload_page(
    viewer: Viewer,
    grants: Grants,
    category: str,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> CaseloadPage | None:
    """The first ``limit`` people after ``after`` whose ``category`` the viewer may read.

    None when a grant reaches the whole partnership: no source is narrower than the
    persons table itself. Otherwise the rows come from the sources' own indexes.
    """
    terms = tuple(_simplest(grants.get(category, "read")))
    if ("partnership", False) in terms:
        return None
    rows = _page_statement(
        _Timeless(viewer), terms, category, viewer.break_glass, after is not None
    )
    params: dict[str, Any] = {"caseload_limit": limit, "caseload_now": viewer.now}
    if after is not None:
        params["caseload_after_sort_name"], params["caseload_after_person_id"] = after
    return CaseloadPage(rows, params)


class Source(NamedTuple):
    """Rows naming people a grant reaches, and the columns that order them by name."""

    rows: Select[Any]
    sort_name: ColumnElement[str]
    person_id: ColumnElement[uuid.UUID]
    repeats: bool  # may name a person twice (two consents), so made distinct


def caseload_sources(
    viewer: Viewer, terms: tuple[tuple[str, bool], ...], category: str, glass: bool
) -> list[Source]:
    """The sources that together name everyone the grant ``terms`` reach.

    Each is served by an index in name order. Every person the terms reach is in at
    least one source, and no source names anyone else.
    """
    sources: list[Source] = []
    for scope, consent in terms:
        if scope == "partnership":  # with consent: the consents are the caseload
            sources += [
                Source(rows, Consent.sort_name, Consent.person_id, True)
                for rows in viewer.consent_rows(category)
            ]
            continue
        scoped = [
            Source(
                viewer.assigned_rows(),
                PersonAssignment.sort_name,
                PersonAssignment.person_id,
                False,
            )
        ]
        if scope == "own_organisation":
            scoped.append(
                Source(
                    viewer.linked_rows(),
                    PersonOrganisation.sort_name,
                    PersonOrganisation.person_id,
                    False,
                )
            )
        for source in scoped:
            if consent:
                source = source._replace(
                    rows=source.rows.where(viewer.consented(source.person_id, category))
                )
            sources.append(source)
    if glass:
        sources.append(Source(viewer.glass_rows(category), Person.sort_name, Person.id, True))
    return sources


@lru_cache(maxsize=4096)
def _page_statement(
    viewer: _Timeless,
    terms: tuple[tuple[str, bool], ...],
    category: str,
    glass: bool,
    has_after: bool,
) -> Subquery:
    """Each source's first page from its own index; their union holds the first page.

    A source that may repeat a person is made distinct first, or its page of rows could
    name fewer people than the page needs.
    """
    v = viewer.viewer
    timeless = Viewer(
        v.tenant_id,
        v.user_id,
        v.organisation_id,
        v.organisation_kind,
        bindparam("caseload_now", type_=DateTime(timezone=True)),  # type: ignore[arg-type]
        glass,
    )
    sources = caseload_sources(timeless, terms, category, glass)
    if not sources:
        nobody = select(Person.sort_name, Person.id.label("person_id")).where(false())
        return nobody.subquery("caseload")
    limit = bindparam("caseload_limit", type_=Integer)
    branches = []
    for rows, sort_name, person_id, repeats in sources:
        if has_after:
            after = tuple_(
                bindparam("caseload_after_sort_name", type_=sort_name.type),
                bindparam("caseload_after_person_id", type_=person_id.type),
            )
            rows = rows.where(tuple_(sort_name, person_id) > after)
        if repeats:
            rows = rows.distinct()
        # As a subquery: SQLite allows no ORDER BY or LIMIT on a member of a UNION.
        ordered = rows.order_by(sort_name, person_id).limit(limit).subquery()
        branches.append(select(*_PAGE_COLUMNS).select_from(ordered))
    if len(branches) == 1:
        return branches[0].subquery("caseload")
    # The merged page, cut to size here: the persons are then fetched for it alone.
    merged = union(*branches).order_by(*_PAGE_COLUMNS).limit(limit)
    return merged.subquery("caseload")


# The page's columns by name: each source names them sort_name and person_id.
_PAGE_COLUMNS = (literal_column("sort_name"), literal_column("person_id"))


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
    if action == "read" and viewer.break_glass:
        terms.append(viewer.broken_glass(person_id, category))
    return or_(*terms) if terms else false()
