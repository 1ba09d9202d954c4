"""The hot reads as plain rows: the person record in one statement, list rows with the
categories each may show, no ORM objects (issue 14).

A record used to cost four statements before its audit row: the person, then how the
viewer stands to them (assigned or linked, consents in force, break-glass grants in force),
each its own query. Here they are one: the visibility-filtered person row with those facts
as columns, built from the same ``Viewer`` terms (core.authz.sql) the relation query
uses, so the decision (``Access.decide``/``explain``) is unchanged.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, String, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core.authz.access import Access, Relation
from core.authz.models import BreakGlassGrant
from core.consents.models import Consent
from core.persons.models import Person

PERSON_COLUMNS = list(Person.__table__.c)


class PersonRecord(msgspec.Struct, frozen=True):
    """One person's row as read (every column of ``persons``)."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    given_name: str
    family_name: str
    sort_name: str
    date_of_birth: date
    prison_number: str | None
    nhs_number: str | None
    location: str
    establishment: str | None
    reception_date: date | None
    liberation_date: date | None
    created_at: datetime
    updated_at: datetime


_FIELDS = PersonRecord.__struct_fields__


def person_record(row: Any) -> PersonRecord:
    mapping = row._mapping
    return PersonRecord(**{name: mapping[name] for name in _FIELDS})


class category_list(FunctionElement[str]):
    """The distinct categories of a subquery as one comma-separated text (or NULL)."""

    type = String()
    inherit_cache = True


@compiles(category_list)
def _string_agg(element: category_list, compiler: Any, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(category_list, "sqlite")
def _group_concat(element: category_list, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


def _categories(rows: Select[Any]) -> ColumnElement[str]:
    distinct = rows.distinct().subquery()
    return select(category_list(distinct.c.category)).scalar_subquery()


def record_statement(access: Access, person_id: uuid.UUID) -> Select[Any]:
    """The person, if this user may read their identity, with how the user stands to them."""
    v = access.viewer
    return select(
        *PERSON_COLUMNS,
        v.assigned(person_id).label("rel_assigned"),
        v.own_organisation(person_id).label("rel_linked"),
        _categories(select(Consent.category).where(*v.consent_in_force(person_id))).label(
            "rel_consented"
        ),
        _categories(select(BreakGlassGrant.category).where(*v.glass_in_force(person_id))).label(
            "rel_glass"
        ),
    ).where(Person.id == person_id, access.person_filter("identity"))


def relation_of(row: Any) -> Relation:
    """The row's relation facts, as ``Access.relation`` would have read them."""
    scope = "assigned" if row.rel_assigned else "own_organisation" if row.rel_linked else None
    return Relation(
        scope or "partnership",
        frozenset(filter(None, (row.rel_consented or "").split(","))),
        frozenset(filter(None, (row.rel_glass or "").split(","))),
    )


def readable_columns(access: Access, categories: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Each category's list filter as a column: the categories a listed row may show,
    decided in the page's own statement (what ``Access.readable_for`` asks separately)."""
    return [access.person_filter(c).label(f"can_{c}") for c in categories if c in access.categories]


def readable_of(row: Any, categories: tuple[str, ...]) -> set[str]:
    mapping = row._mapping
    return {c for c in categories if mapping.get(f"can_{c}")}
