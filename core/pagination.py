"""Keyset pagination: an opaque cursor holding the last row's sort key.

:func:`fetch_page` is a list's page and next cursor in one call; :func:`person_page` is the
list every person's history shows (one person's rows of a table, newest first, the read
audited), which plugins and domains would otherwise each write again.
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import DateTime, Select, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from core.audit.services import record
from core.db.base import UTCDateTime

if TYPE_CHECKING:
    from core.authz.actor import Actor

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = msgspec.json.decode(raw)
    except (binascii.Error, ValueError, RecursionError, msgspec.DecodeError):
        raise ValidationException(
            detail="Invalid cursor", extra=[{"key": "cursor", "message": "not a cursor"}]
        ) from None
    if not isinstance(key, list) or len(key) != length:
        raise ValidationException(
            detail="Invalid cursor", extra=[{"key": "cursor", "message": "not a cursor"}]
        )
    return key


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationException(
            detail=f"limit must be between 1 and {MAX_LIMIT}",
            extra=[{"key": "limit", "message": f"must be between 1 and {MAX_LIMIT}"}],
        )
    return limit


_INT64 = 2**63 - 1


def _bad_cursor() -> ValidationException:
    return ValidationException(
        detail="Invalid cursor", extra=[{"key": "cursor", "message": "not a cursor"}]
    )


def _plain(value: Any) -> bool:
    """A sort-key part this app could have written: a scalar the database can bind."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -_INT64 <= value <= _INT64
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= 1000 and "\x00" not in value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _column_type(column: ColumnElement[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _as_column_type(column: ColumnElement[Any]) -> Any:
    """A converter from the cursor's JSON value to the column's Python type."""
    expected = _column_type(column)
    if expected is None:
        return None
    return lambda value: msgspec.convert(value, expected, strict=False)


def cursor_key(cursor: str | None, length: int, convert: list[Any] | None = None) -> Any:
    """The sort key a cursor holds, each part converted (a None converter: a string);
    None on the first page.

    A cursor comes back from the client, so it is checked like any input: only scalars the
    database can bind, each converted to its column's type (a forged one is a 400).
    """
    if not cursor:
        return None
    if len(cursor) > 4000:
        raise _bad_cursor()
    key = decode_cursor(cursor, length)
    if not all(_plain(value) for value in key):
        raise _bad_cursor()
    if convert:
        try:
            key = [(fn or _string)(value) for fn, value in zip(convert, key, strict=True)]
        except (TypeError, ValueError, OverflowError, msgspec.ValidationError):
            raise _bad_cursor() from None
    return key


def keyset(
    stmt: Select[Any],
    columns: list[ColumnElement[Any]],
    cursor: str | None,
    limit: int,
    *,
    descending: bool = False,
    convert: list[Any] | None = None,
) -> Select[Any]:
    """Order by ``columns`` and start after the cursor's key. Fetches limit + 1 rows."""
    check_limit(limit)
    convert = [
        (convert[i] if convert else None) or _as_column_type(column)
        for i, column in enumerate(columns)
    ]
    key = cursor_key(cursor, len(columns), convert)
    if key is not None:
        row = tuple_(*columns)
        stmt = stmt.where(row < tuple_(*key) if descending else row > tuple_(*key))
    order = [c.desc() for c in columns] if descending else list(columns)
    return stmt.order_by(*order).limit(limit + 1)


def page_of(rows: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """Split the limit + 1 rows fetched by keyset() into a page and the next cursor."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key(rows[-1]))


def _cursor_part(value: Any) -> Any:
    """A sort-key value as the cursor carries it (JSON: times and ids as strings)."""
    if isinstance(value, date | datetime):  # datetime is a date: both by isoformat
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _aware_time(column: ColumnElement[Any]) -> Callable[[str], BindParameter[datetime]]:
    """A cursor's ISO time, bound with the column's own (UTC) type on every backend.

    A naive time is refused: the app only writes aware ones, so it is a forged cursor.
    """

    def convert(value: str) -> BindParameter[datetime]:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time in cursor")
        return literal(parsed.astimezone(UTC), column.type)

    return convert


def _from_cursor(column: ColumnElement[Any]) -> Any:
    if isinstance(column.type, UTCDateTime | DateTime):
        return _aware_time(column)
    return None  # keyset() converts to the column's Python type (dates, ids, names)


async def fetch_page(
    session: AsyncSession,
    stmt: Select[Any],
    order: Sequence[InstrumentedAttribute[Any]],
    cursor: str | None,
    limit: int,
    *,
    descending: bool = False,
    entity: int | None = None,
) -> tuple[list[Any], str | None]:
    """One keyset page of ``stmt`` in ``order`` (the last column unique, e.g. the id), and
    the cursor for the next: the cursor is read and written from the columns themselves.

    ``entity``: the statement selects several things and the ordered one is at that place
    in each row (rows come back whole); otherwise the rows are the ordered entity.
    """
    columns = list(order)
    stmt = keyset(
        stmt,
        columns,
        cursor,
        limit,
        descending=descending,
        convert=[_from_cursor(c) for c in columns],
    )
    if entity is None:
        rows: list[Any] = list((await session.scalars(stmt)).all())
    else:
        rows = list((await session.execute(stmt)).all())

    def key(row: Any) -> list[Any]:
        held = row if entity is None else row[entity]
        return [_cursor_part(getattr(held, c.key)) for c in columns]

    return page_of(rows, limit, key)


async def person_page(
    session: AsyncSession,
    actor: Actor,
    at: InstrumentedAttribute[Any],
    person_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    *,
    audit_as: str,
    newest_first: bool = True,
) -> tuple[list[Any], str | None]:
    """One person's rows of the table ``at`` is a column of, in the actor's tenant, a page
    at a time by ``at`` then id; the read audited as a ``list`` of ``audit_as`` and
    committed with it.

    The caller has already made sure the person may be known of and the category read:
    this is the list, not the decision.
    """
    entity = at.class_
    stmt = select(entity).where(entity.tenant_id == actor.tenant_id, entity.person_id == person_id)
    rows, next_cursor = await fetch_page(
        session, stmt, [at, entity.id], cursor, limit, descending=newest_first
    )
    record(session, actor, "list", audit_as, person_id=person_id, detail={"returned": len(rows)})
    await session.commit()
    return rows, next_cursor
