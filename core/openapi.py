"""The one place the OpenAPI description is completed: every operation documents the error
answers any route can give, with the body they all share, so clients (and the fuzzer) can
rely on the description instead of on each controller remembering to declare them."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions.responses import create_exception_response
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import BaseRoute, HTTPRoute

from core.errors import internal_error_handler

API_PREFIX = "/api/"


class ErrorDetail(msgspec.Struct):
    """One field's problem; ``key`` names the field when one is to blame."""

    message: str
    key: str | None = None
    source: str | None = None


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every error answer: Litestar's exception body, plus the request id on a 500."""

    status_code: int
    detail: str
    extra: list[ErrorDetail] | dict[str, Any] | None = None
    request_id: str | None = None


# Any authenticated route can be refused, be absent (another tenant's id), conflict, fail a
# rule, be throttled or fail; 400 is a body or parameter that does not decode.
ERROR_RESPONSES: dict[int, str] = {
    400: "The request could not be decoded or failed validation",
    401: "Not signed in, or the token is invalid, expired or revoked",
    403: "Signed in, but this action is not allowed",
    404: "Not found, or not visible to you (the same answer either way)",
    409: "The change conflicts with the record's current state",
    422: "A business rule refused the change",
    429: "Too many requests",
    500: "Internal server error (the body carries a request id)",
}


def error_responses() -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
        for code, text in ERROR_RESPONSES.items()
    }


def document_errors(route: BaseRoute) -> None:
    """Adds the error answers to each handler of ``route``; a handler's own declaration of a
    status wins, so a route that documents a richer 409 keeps it."""
    if not isinstance(route, HTTPRoute):
        return
    for handler in route.route_handlers:
        if not isinstance(handler, HTTPRouteHandler):
            continue
        handler.responses = {**error_responses(), **(handler.responses or {})}


def api_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """An API route's refusal is the documented JSON ErrorBody whatever the route serves on
    success: Litestar would otherwise send it under the route's own media type (a CSV or SVG
    report's 403 arrived as ``text/csv``). Pages keep Litestar's default and their own
    handlers, which route-level registration already gives precedence."""
    if not request.url.path.startswith(API_PREFIX):
        return create_exception_response(request, exc)
    body = ErrorBody(status_code=exc.status_code, detail=exc.detail, extra=exc.extra or None)
    return Response(
        msgspec.to_builtins(body, order="deterministic"),
        status_code=exc.status_code,
        headers=exc.headers,
        media_type=MediaType.JSON,
    )


def _overflowed(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OverflowError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def out_of_range_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A number the database cannot hold (an id or version past 64 bits) is the client's
    mistake, not a server error: SQLite raises OverflowError binding it, asyncpg a DataError
    caused by one. Anything else that reaches here is still the plain 500."""
    if not _overflowed(exc):
        return internal_error_handler(request, exc)
    body = ErrorBody(status_code=400, detail="A number in the request is out of range")
    return Response(msgspec.to_builtins(body), status_code=400, media_type=MediaType.JSON)
