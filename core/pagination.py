"""Keyset pagination: an opaque cursor holding the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any, Generic, TypeVar

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import Select, tuple_
from sqlalchemy.sql.elements import ColumnElement

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
