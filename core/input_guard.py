"""One check, in front of every handler, for input no field can hold: a NUL character
(PostgreSQL text cannot store one, so it would fail as a 500 deep in a query) and JSON nested
past any shape this API accepts (msgspec would recurse until Python gives up).

It looks at the query string, and at JSON and form-encoded bodies, before Litestar parses
them, and answers 400 naming the field; nothing reaches a handler, so nothing is written.
Bodies too large to buffer are passed on unread for Litestar's own size limit to refuse.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Deeper than any request body in the API (the deepest is a few levels), far below the
# depth at which decoding recurses out of the stack.
MAX_JSON_DEPTH = 32
NUL = "\x00"


def refuse(field: str, message: str) -> ValidationException:
    return ValidationException(
        detail=f"Invalid value for {field}: {message}",
        extra=[{"key": field, "message": message}],
    )


def _path(parent: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{parent}[{part}]"
    return f"{parent}.{part}" if parent else part


def check_json(value: Any) -> None:
    """Walk a decoded body without recursion: NUL in a key or string, or too deep."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        where, item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise refuse(where or "body", "nested too deeply")
        if isinstance(item, str):
            if NUL in item:
                raise refuse(where or "body", "must not contain a NUL character")
        elif isinstance(item, dict):
            for key, child in item.items():
                if NUL in key:
                    raise refuse(where or "body", "a key must not contain a NUL character")
                stack.append((_path(where, key), child, depth + 1))
        elif isinstance(item, list):
            stack.extend((_path(where, i), child, depth + 1) for i, child in enumerate(item))


def _nesting_exceeds(body: bytes, limit: int) -> bool:
    """Bracket depth outside strings: cheap, and safe to run before any decoding."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def check_pairs(pairs: list[tuple[str, str]]) -> None:
    for name, value in pairs:
        if NUL in name or NUL in value:
            raise refuse(name.replace(NUL, "") or "parameter", "must not contain a NUL character")


def check_body(content_type: str, body: bytes) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        if _nesting_exceeds(body, MAX_JSON_DEPTH):
            raise refuse("body", "nested too deeply")
        try:
            decoded = msgspec.json.decode(body)
        except (msgspec.DecodeError, RecursionError):
            return  # malformed: Litestar's own decoding answers 400 for it
        check_json(decoded)
    elif media == "application/x-www-form-urlencoded":
        check_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


class InputGuardMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            check_pairs(parse_qsl(query, keep_blank_values=True))
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if not content_type or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await next_app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        more = True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
            if size > self.max_body_bytes:
                break
        if not more and size <= self.max_body_bytes:
            check_body(content_type, b"".join(m.get("body", b"") for m in messages))

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await next_app(scope, replay, send)
