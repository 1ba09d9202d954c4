"""The HTML caseload's query: filters, three sorts, keyset pages and a bounded count.

The page joins each person's latest episode so that it can filter by phase, key worker
and lead organisation in SQL. It pages by keyset (the last row's sort key, as the API
does), never by OFFSET, and counts at most :data:`COUNT_CAP` + 1 rows: "more than 1,000"
is all a worker needs to know, and counting a whole partnership costs what it grows by.
Rows are read as plain rows (no ORM objects) and projected through core.authz.fields.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import clock
from core.accounts.models import User
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import (
    CUSTODY,
    EPISODE,
    FIELD_CATEGORIES,
    PERSON_VIEW_CATEGORIES,
    EpisodeView,
    PersonView,
    project,
)
from core.episodes.models import Episode, Phase
from core.pagination import cursor_key, encode_cursor
from core.persons.models import Location, Person
from core.persons.reads import readable_columns, readable_of
from core.persons.search import person_search
from core.tenancy.models import Organisation

PAGE_SIZE = 25
COUNT_CAP = 1000
SORTS = ("name", "liberation", "prison_number")
# "mine": the viewer's own people (assigned to them or led by their organisation); "all":
# the partnership's list. The page opens on "mine" when the viewer has anyone there.
PEOPLE = ("mine", "all")
LIBERATION_WINDOWS = (7, 14, 28, 56)
# Sorts after every real date: people with no liberation date (or a withheld one) last.
NO_DATE = date(9999, 12, 31)


@dataclass(frozen=True)
class CaseloadFilters:
    q: str = ""
    location: str = ""
    phase: str = ""
    key_worker: str = ""  # "me", a user id, or ""
    organisation: str = ""  # a lead organisation id, or ""
    liberation_within: int | None = None  # days from today
    sort: str = "name"
    people: str = "all"
    # People whose current episode is closed are shown only when asked for.
    closed: bool = False
    # Keyset cursors (core.pagination): the page after one row's key, or before it.
    after: str = ""
    before: str = ""

    def active(self) -> bool:
        return any(
            (
                self.q,
                self.location,
                self.phase,
                self.key_worker,
                self.organisation,
                self.liberation_within,
                self.closed,
            )
        )


@dataclass
class CaseloadRow:
    # Projected (core.authz.fields): the raw rows never reach the template.
    person: PersonView
    episode: EpisodeView


@dataclass
class Caseload:
    rows: list[CaseloadRow]
    # How many match, counted up to COUNT_CAP + 1: ``capped`` when there are more.
    total: int
    capped: bool
    filters: CaseloadFilters
    next_cursor: str | None = None
    previous_cursor: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def total_text(self) -> str:
        return f"More than {COUNT_CAP:,}" if self.capped else f"{self.total:,}"


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def latest_episode_id() -> Any:
    """Correlated subquery: the id of the person's most recently opened episode."""
    inner = aliased(Episode)
    return (
        select(inner.id)
        .where(inner.tenant_id == Person.tenant_id, inner.person_id == Person.id)
        .order_by(inner.opened_at.desc(), inner.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )


def _closed() -> ColumnElement[bool]:
    return or_(Episode.closed_at.is_not(None), Episode.phase == Phase.CLOSED)


def _mine(actor: Actor) -> ColumnElement[bool]:
    """An open episode the viewer is key worker for, or that their organisation leads."""
    return and_(
        Episode.id.is_not(None),
        not_(_closed()),
        or_(
            Episode.key_worker_id == actor.user_id,
            Episode.lead_organisation_id == actor.organisation_id,
        ),
    )


def _latest_episode_join() -> ColumnElement[bool]:
    return (Episode.tenant_id == Person.tenant_id) & (Episode.id == latest_episode_id())


async def has_own_people(session: AsyncSession, access: Access) -> bool:
    """Whether the viewer's own caseload ("mine") has anyone the protocol shows them."""
    stmt = (
        select(Person.id)
        .select_from(Person)
        .outerjoin(Episode, _latest_episode_join())
        .where(
            Person.tenant_id == access.actor.tenant_id,
            access.person_filter("identity", person_id=Person.id),
            _mine(access.actor),
            access.person_filter(EPISODE, person_id=Person.id),
        )
    )
    return await session.scalar(select(exists(stmt))) or False


def sees_no_person(access: Access) -> bool:
    """No grant reads anyone's identity (an analyst): the caseload would always be empty."""
    return not access.can("identity", "read")


_PERSON_COLUMNS = [c for c in Person.__table__.c if c.key != "tenant_id"]


def filtered(access: Access, filters: CaseloadFilters, today: date) -> Select[Any]:
    """Every row the filters keep, unordered: the columns the page shows."""
    actor = access.actor
    key_worker = aliased(User)
    lead = aliased(Organisation)
    stmt = (
        select(
            *_PERSON_COLUMNS,
            Episode.id.label("episode_id"),
            Episode.phase,
            Episode.key_worker_id,
            key_worker.display_name.label("key_worker"),
            Episode.lead_organisation_id,
            lead.name.label("lead_organisation"),
        )
        .select_from(Person)
        .outerjoin(Episode, _latest_episode_join())
        .outerjoin(key_worker, key_worker.id == Episode.key_worker_id)
        .outerjoin(
            lead, (lead.tenant_id == Episode.tenant_id) & (lead.id == Episode.lead_organisation_id)
        )
        .where(
            Person.tenant_id == actor.tenant_id,
            # The caseload is everyone whose identity the protocol lets this user read.
            access.person_filter("identity", person_id=Person.id),
        )
    )
    if filters.q:
        stmt = stmt.where(person_search(filters.q))
    # Filtering on a field is showing it: a person whose field is withheld never matches,
    # or the count would tell what the row does not show.
    custody = access.person_filter(CUSTODY, person_id=Person.id)
    episode = access.person_filter(EPISODE, person_id=Person.id)
    if filters.people == "mine":
        stmt = stmt.where(_mine(actor), episode)
    if not filters.closed:
        # A withheld episode is not known to be closed, so it is not left out for being so.
        stmt = stmt.where(not_(and_(Episode.id.is_not(None), _closed(), episode)))
    if filters.location in {loc.value for loc in Location}:
        stmt = stmt.where(Person.location == filters.location, custody)
    if filters.phase in {p.value for p in Phase}:
        stmt = stmt.where(Episode.phase == filters.phase, episode)
    # Each filter asks for its field's own category, from the one map every view uses.
    key_worker = access.person_filter(FIELD_CATEGORIES["key_worker_id"], person_id=Person.id)
    lead = access.person_filter(FIELD_CATEGORIES["lead_organisation_id"], person_id=Person.id)
    if filters.key_worker == "me":
        stmt = stmt.where(Episode.key_worker_id == actor.user_id, key_worker)
    elif (worker_id := parse_uuid(filters.key_worker)) is not None:
        stmt = stmt.where(Episode.key_worker_id == worker_id, key_worker)
    if (organisation_id := parse_uuid(filters.organisation)) is not None:
        stmt = stmt.where(Episode.lead_organisation_id == organisation_id, lead)
    if filters.liberation_within:
        stmt = stmt.where(
            Person.liberation_date >= today,
            Person.liberation_date <= today + timedelta(days=filters.liberation_within),
            custody,
        )
    return stmt


class SortKey(msgspec.Struct, frozen=True):
    """The columns one sort orders by (the last two always name and id), and how a
    cursor's JSON values turn back into their types."""

    columns: list[Any]
    convert: list[Any]


def _as(kind: type) -> Any:
    return lambda value: msgspec.convert(value, kind, strict=False)


def sort_key(access: Access, sort: str, today: date) -> SortKey:
    tail = [Person.sort_name, Person.id]
    tail_convert = [None, uuid.UUID]
    if sort == "liberation":
        # Soonest first from today; people with no date, or one already past (released, or
        # never updated), come last on both databases. A withheld date sorts as no date, so
        # the order does not tell it either.
        upcoming = and_(
            access.person_filter(CUSTODY, person_id=Person.id), Person.liberation_date >= today
        )
        flag = case((upcoming, 0), else_=1)
        when = case((upcoming, Person.liberation_date), else_=literal(NO_DATE, Date))
        return SortKey([flag, when, *tail], [_as(int), _as(date), *tail_convert])
    if sort == "prison_number":
        flag = case((Person.prison_number.is_(None), 1), else_=0)
        number = func.coalesce(Person.prison_number, "")
        return SortKey([flag, number, *tail], [_as(int), None, *tail_convert])
    return SortKey(tail, tail_convert)


def _key_of(row: Any, sort: str) -> list[Any]:
    """The cursor's JSON for a row: the same values :func:`sort_key` orders by."""
    tail = [row.sort_name, str(row.id)]
    if sort == "liberation":
        return [row.sort_flag, row.sort_value.isoformat(), *tail]
    if sort == "prison_number":
        return [row.sort_flag, row.sort_value, *tail]
    return tail


def _cursor(text: str, key: SortKey) -> list[Any] | None:
    """A cursor from the address bar; one that does not fit this sort starts at the top."""
    if not text:
        return None
    try:
        return cursor_key(text, len(key.columns), key.convert)
    except ValidationException:
        return None


def keyset_page(
    stmt: Select[Any], key: SortKey, filters: CaseloadFilters
) -> tuple[Select[Any], bool]:
    """One page's statement (PAGE_SIZE + 1 rows) and whether it reads backwards."""
    columns = key.columns
    extra = [c.label(n) for c, n in zip(columns[:-2], ("sort_flag", "sort_value"), strict=False)]
    stmt = stmt.add_columns(*extra)
    before = _cursor(filters.before, key) if not filters.after else None
    after = _cursor(filters.after, key)
    row = tuple_(*columns)

    def bound(values: list[Any]) -> Any:
        return tuple_(*(literal(v, c.type) for v, c in zip(values, columns, strict=True)))

    if before is not None:
        stmt = stmt.where(row < bound(before)).order_by(*(c.desc() for c in columns))
        return stmt.limit(PAGE_SIZE + 1), True
    if after is not None:
        stmt = stmt.where(row > bound(after))
    return stmt.order_by(*columns).limit(PAGE_SIZE + 1), False


async def caseload(
    session: AsyncSession, access: Access, filters: CaseloadFilters, today: date | None = None
) -> Caseload:
    actor = access.actor
    today = today or clock.today()
    stmt = filtered(access, filters, today)
    key = sort_key(access, filters.sort, today)
    page, backwards = keyset_page(stmt, key, filters)
    # The categories each row may show, decided in the page's own statement.
    page = page.add_columns(*readable_columns(access, PERSON_VIEW_CATEGORIES))
    found = list((await session.execute(page)).all())
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    paged = bool(filters.after or filters.before)
    if backwards:
        found.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = paged and bool(found), more
    if not paged and not more:
        total = len(found)  # the whole list is on this page: nothing more to count
    else:
        capped = stmt.limit(COUNT_CAP + 1).subquery()
        total = await session.scalar(select(func.count()).select_from(capped)) or 0
    rows = []
    for r in found:
        readable = readable_of(r, PERSON_VIEW_CATEGORIES)
        rows.append(
            CaseloadRow(
                person=project(PersonView, readable, r),
                episode=project(EpisodeView, readable, r._mapping),
            )
        )
    record(
        session,
        actor,
        "list",
        "person",
        detail={
            "q": filters.q or None,
            "location": filters.location or None,
            "phase": filters.phase or None,
            "key_worker": filters.key_worker or None,
            "organisation": filters.organisation or None,
            "liberation_within": filters.liberation_within,
            "people": filters.people,
            "closed": filters.closed,
            "paged": "before" if backwards else "after" if filters.after else None,
            "returned": len(rows),
            "via": "page",
        },
    )
    await session.commit()
    return Caseload(
        rows=rows,
        total=total,
        capped=total > COUNT_CAP,
        filters=filters,
        next_cursor=encode_cursor(_key_of(found[-1], filters.sort)) if has_next and found else None,
        previous_cursor=encode_cursor(_key_of(found[0], filters.sort))
        if has_previous and found
        else None,
    )


__all__ = [
    "COUNT_CAP",
    "LIBERATION_WINDOWS",
    "PAGE_SIZE",
    "PEOPLE",
    "SORTS",
    "Caseload",
    "CaseloadFilters",
    "CaseloadRow",
    "caseload",
    "has_own_people",
    "latest_episode_id",
    "sees_no_person",
]
