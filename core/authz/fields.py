"""Which field of which record belongs to which sharing category, and the one projection.

Every view that shows a person's fields (the record, the caseload page and API, search,
checklists, agendas) builds what it shows with :func:`project`: a msgspec Struct whose every
field is looked up in :data:`FIELD_CATEGORIES`, and whose withheld fields are None and named
in its ``withheld`` list. A view Struct with a field missing from the map cannot be built at
all (:class:`UnmappedField`), so a new view cannot show a field without saying which
category it is, and the record and every list decide it the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

import msgspec

from core.vocabulary import RECORD_CATEGORIES

IDENTITY = RECORD_CATEGORIES["person.identity"]
CUSTODY = RECORD_CATEGORIES["person.custody"]
EPISODE = RECORD_CATEGORIES["episode"]

# Field name -> sharing category. One flat namespace on purpose: a name means one thing in
# every view, so two views cannot file the same field under different categories.
FIELD_CATEGORIES: dict[str, str] = {
    # who the person is
    "id": IDENTITY,
    "tenant_id": IDENTITY,  # which partnership's record it is: never shown, only joined on
    "person_id": IDENTITY,
    "given_name": IDENTITY,
    "family_name": IDENTITY,
    "date_of_birth": IDENTITY,
    "prison_number": IDENTITY,
    "nhs_number": IDENTITY,
    "created_at": IDENTITY,
    "updated_at": IDENTITY,
    # where they are held and when they leave
    "location": CUSTODY,
    "establishment": CUSTODY,
    "reception_date": CUSTODY,
    "liberation_date": CUSTODY,
    # their current episode (the record's "Phase" line)
    "episode_id": EPISODE,
    "phase": EPISODE,
    # whom to contact about them: told to anyone who may see the person at all (issue 12)
    "key_worker": IDENTITY,
    "key_worker_id": IDENTITY,
    "lead_organisation": IDENTITY,
    "lead_organisation_id": IDENTITY,
}

# The categories some field of a person view may need: what a list asks SQL for, per row.
PERSON_VIEW_CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(FIELD_CATEGORIES.values()))

WITHHELD = "withheld"

V = TypeVar("V", bound=msgspec.Struct)


class UnmappedField(LookupError):
    """A view shows a field that no category claims: refused, never shown by default."""


def category_of(name: str) -> str:
    try:
        return FIELD_CATEGORIES[name]
    except KeyError:
        raise UnmappedField(f"field {name!r} has no sharing category") from None


def view_categories(view: type[msgspec.Struct]) -> set[str]:
    """The categories a view's fields belong to (raises for an unmapped field)."""
    return {category_of(n) for n in view.__struct_fields__ if n != WITHHELD}


def project(view: type[V], readable: Collection[str], source: Mapping[str, Any] | Any) -> V:
    """``view`` built from ``source`` (a mapping, or an object such as an ORM row) as the
    viewer may see it: each field whose category is not in ``readable`` is None and named
    in ``withheld``. The view must have a ``withheld: list[str]`` field."""
    if WITHHELD not in view.__struct_fields__:
        raise TypeError(f"{view.__name__} has no {WITHHELD!r} field")
    get = source.get if isinstance(source, Mapping) else lambda n: getattr(source, n, None)
    values: dict[str, Any] = {}
    withheld: list[str] = []
    for name in view.__struct_fields__:
        if name == WITHHELD:
            continue
        if category_of(name) in readable:
            values[name] = get(name)
        else:
            values[name] = None
            withheld.append(name)
    return view(**values, withheld=withheld)


class PersonView(msgspec.Struct, frozen=True):
    """A person as the pages may show them: what the record and every list render."""

    id: Any
    given_name: str | None
    family_name: str | None
    date_of_birth: Any
    prison_number: str | None
    nhs_number: str | None
    location: str | None
    establishment: str | None
    reception_date: Any
    liberation_date: Any
    withheld: list[str] = []


class EpisodeView(msgspec.Struct, frozen=True):
    """The person's current episode as the pages show it (phase, key worker, lead)."""

    episode_id: Any
    phase: str | None
    key_worker: str | None
    key_worker_id: Any
    lead_organisation: str | None
    lead_organisation_id: Any
    withheld: list[str] = []
