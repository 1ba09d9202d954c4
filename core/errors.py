"""Domain errors and the handlers that turn every failure into a plain, internals-free answer."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from core.request_id import current_request_id

log = logging.getLogger("throughcare")


class RuleViolation(HTTPException):
    """A business rule refused the change; names the field when one is to blame."""

    status_code = HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self, message: str, *, field: str | None = None) -> None:
        extra = [{"key": field, "message": message}] if field else None
        super().__init__(detail=message, extra=extra)


class Conflict(HTTPException):
    status_code = HTTP_409_CONFLICT


def not_found(what: str = "Record") -> NotFoundException:
    # Same answer whether the record is absent, in another tenant or withheld.
    return NotFoundException(detail=f"{what} not found")


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = current_request_id()
    log.exception(
        "unhandled error on %s %s [request %s]",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    return Response(
        {"status_code": 500, "detail": "Internal server error", "request_id": request_id},
        status_code=500,
        media_type=MediaType.JSON,
    )
