"""A scoped caseload driven by the relation tables, a page at a time.

:func:`caseload_sources` names the index ranges (people my organisation works with, people
assigned to me, people who consented to share with me, my break-glass grants) whose rows,
in name order, hold everyone the viewer may see; :func:`caseload_page` unions each
source's next page, so a page reads about a page of rows instead of walking the whole
partnership. The statement is cached per viewer and protocol, with the cursor, page size
and time as bound parameters.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    Subquery,
    bindparam,
    false,
    literal_column,
    select,
    tuple_,
    union,
)

from core.authz.enforcer import Grants
from core.authz.models import PersonAssignment, PersonOrganisation
from core.authz.viewer import Terms, Timeless, Viewer, simplest
from core.consents.models import Consent
from core.persons.models import Person


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
    terms = tuple(simplest(grants.get(category, "read")))
    if ("partnership", False) in terms:
        return None
    rows = _page_statement(Timeless(viewer), terms, category, viewer.break_glass, after is not None)
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


def caseload_sources(viewer: Viewer, terms: Terms, category: str, glass: bool) -> list[Source]:
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
    viewer: Timeless,
    terms: Terms,
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
