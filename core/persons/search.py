"""Name and prison-number search, served by an index (migration 0011).

A worker types a name as the pages print it ("Family, Given"), as people say it ("Given
Family"), or a part of either; or the first characters of a prison number. The match is
a substring of the lower-cased "family given" or "given family", or a prefix of the
prison number — exactly what a LIKE scan gave, but read from an index:

- PostgreSQL: trigram GIN indexes on ``sort_name``, ``lower(given_name || ' ' ||
  family_name)`` and ``prison_number``; the same LIKE predicate, which their planner
  answers from them.
- SQLite: an FTS5 trigram table (``person_search``) kept by triggers; GLOB on it (the
  index is case-sensitive, and both sides are already lower- or upper-cased).

A trigram index cannot narrow a pattern of fewer than three characters; such a search
keeps the plain predicate, whose first page is found early because it matches many.
The visibility filter is applied by the caller exactly as for any list: the search only
narrows the candidates, so a hidden person never matches.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean

from core.persons.models import Person

# Fewer characters than a trigram: the index cannot narrow the match.
TRIGRAM = 3

_fts = table("person_search", column("name"), column("prison_number"), column("person_id"))


class SearchTerms:
    """What a typed query matches: name substrings and a prison-number prefix."""

    def __init__(self, q: str) -> None:
        text = " ".join(q.split()).lower()
        family, comma, given = text.partition(",")
        names = {text}
        if comma:  # "Family, Given" is the sort name with its comma
            names.add(" ".join(f"{family} {given}".split()))
        self.names = sorted(names)
        self.prison_number = text.replace(" ", "").upper()

    @property
    def indexable(self) -> bool:
        return all(len(t) >= TRIGRAM for t in [*self.names, self.prison_number])


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def glob_escape(text: str) -> str:
    """A GLOB pattern matching ``text`` literally (``*``, ``?`` and ``[`` as classes)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def given_family() -> ColumnElement[str]:
    # A literal space, not a bound one: PostgreSQL uses an expression index only for
    # the very expression it was built on (migration 0011).
    space = literal_column("' '", String)
    return Person.given_name.concat(space).concat(Person.family_name)


def like_predicate(terms: SearchTerms) -> ColumnElement[bool]:
    """The substring predicate on ``persons`` (PostgreSQL's indexes serve exactly this)."""
    patterns = [_inline(f"%{like_escape(term)}%") for term in terms.names]
    lowered = func.lower(given_family())
    return or_(
        *(Person.sort_name.like(p, escape="\\") for p in patterns),
        *(lowered.like(p, escape="\\") for p in patterns),
        Person.prison_number.like(_inline(f"{like_escape(terms.prison_number)}%"), escape="\\"),
    )


def _inline(pattern: str) -> Any:
    """The pattern written into the SQL sent (the compiled statement is still cached).

    As a parameter, PostgreSQL plans a prepared statement once for any pattern after a few
    runs, and that generic plan walks the name index instead of the trigram indexes: a
    rare name then costs a scan of the partnership. With the pattern in the text, each
    search is planned for what it is.
    """
    return bindparam(None, pattern, type_=String(), literal_execute=True)


def fts_matches(terms: SearchTerms) -> Select[Any]:
    """The ids the SQLite FTS5 table finds: one GLOB per branch, each served by it."""
    branches = [
        select(_fts.c.person_id).where(_fts.c.name.op("GLOB")(f"*{glob_escape(t)}*"))
        for t in terms.names
    ]
    branches.append(
        select(_fts.c.person_id).where(
            _fts.c.prison_number.op("GLOB")(f"{glob_escape(terms.prison_number)}*")
        )
    )
    first, *rest = branches
    return first.union(*rest) if rest else first  # type: ignore[return-value]


class PersonMatches(ColumnElement[bool]):
    """``persons`` rows the search matches, as each database's index answers it.

    Holds both forms; the dialect picks one when the statement is compiled, so one
    statement (and its cache entry) serves either database.
    """

    type = Boolean()
    # A condition in its own right: without this, SQLite would be sent "(...) = 1", which
    # no index serves.
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals = [
        ("plain", InternalTraversal.dp_clauseelement),
        ("indexed", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, plain: ColumnElement[bool], indexed: ColumnElement[bool]) -> None:
        self.plain = plain
        self.indexed = indexed


@compiles(PersonMatches)
def _compile_plain(element: PersonMatches, compiler: Any, **kw: Any) -> str:
    # Parenthesised: an OR inside the caller's AND would otherwise escape it.
    return f"({compiler.process(element.plain, **kw)})"


@compiles(PersonMatches, "sqlite")
def _compile_sqlite(element: PersonMatches, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.indexed, **kw)})"


def person_search(q: str) -> ColumnElement[bool]:
    """People whose name or prison number matches ``q`` as a worker would type it."""
    terms = SearchTerms(q)
    plain = like_predicate(terms)
    if not terms.indexable:
        return plain
    return PersonMatches(plain, Person.id.in_(fts_matches(terms)))


def is_search_index(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """Alembic ``include_object``: the search index lives outside the models (0011)."""
    if name is None:
        return True
    return not (name.startswith("person_search") or name.endswith("_trgm"))
