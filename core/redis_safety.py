"""Redis-backed stores that fail plainly, so a Redis outage cannot take the portal down.

Sessions: a store error becomes :class:`SessionsUnavailable` (503 with a plain message and
``Retry-After``), never a 500 with a traceback. Pages that need a session show that message;
bearer API requests never load a session (core/accounts/sessions.py), so they keep working.
A memory fallback for sessions was rejected: with several web processes each would hold a
different half of the sessions, and a user would be signed out at random.

The sign-in rate limit falls back to a per-process memory count while Redis is down. Failing
closed would refuse every sign-in, scripts included, for the whole outage; the fallback keeps
a per-address limit in each process (so at most processes x limit per minute) and the
per-account lock-out, kept in the database, still bounds guessing at any one account.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import HTTPException, ServiceUnavailableException
from litestar.response import Template
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import Empty
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.openapi import api_error_handler
from core.request_id import current_request_id

log = logging.getLogger("throughcare.redis")

# A request must not wait on a dead or hung Redis longer than a person notices; redis-py's
# defaults wait for the OS (minutes) on a hung server.
CONNECT_TIMEOUT_S = 0.5
COMMAND_TIMEOUT_S = 1.0
RETRY_AFTER_S = 30

STORE_ERRORS = (RedisError, OSError)  # redis-py's own errors, and socket errors it lets through

SESSIONS_DOWN = (
    "Signed-in pages are unavailable for a moment: the session service is not answering. "
    "Nothing has been lost; try again in a minute."
)


class SessionsUnavailable(ServiceUnavailableException):
    def __init__(self) -> None:
        super().__init__(detail=SESSIONS_DOWN, headers={"Retry-After": str(RETRY_AFTER_S)})


def redis_client(url: str) -> Redis:
    return Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=COMMAND_TIMEOUT_S
    )


class GuardedStore(Store):
    """A store whose errors are a plain 503, logged once per failure without the stack."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def _down(self, exc: Exception) -> SessionsUnavailable:
        log.warning("session store unavailable: %r", exc)
        return SessionsUnavailable()

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        try:
            await self.inner.set(key, value, expires_in=expires_in)
        except STORE_ERRORS as exc:
            raise self._down(exc) from exc

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            return await self.inner.get(key, renew_for=renew_for)
        except STORE_ERRORS as exc:
            raise self._down(exc) from exc

    async def delete(self, key: str) -> None:
        try:
            await self.inner.delete(key)
        except STORE_ERRORS as exc:
            raise self._down(exc) from exc

    async def delete_all(self) -> None:
        try:
            await self.inner.delete_all()
        except STORE_ERRORS as exc:
            raise self._down(exc) from exc

    async def exists(self, key: str) -> bool:
        try:
            return await self.inner.exists(key)
        except STORE_ERRORS as exc:
            raise self._down(exc) from exc

    async def expires_in(self, key: str) -> int | None:
        try:
            return await self.inner.expires_in(key)
        except STORE_ERRORS as exc:
            raise self._down(exc) from exc


class FallbackStore(Store):
    """Redis while it answers, a per-process memory store while it does not."""

    def __init__(self, primary: Store, fallback: Store | None = None) -> None:
        self.primary = primary
        self.fallback = fallback or MemoryStore()

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await getattr(self.primary, name)(*args, **kwargs)
        except STORE_ERRORS as exc:
            log.warning("rate-limit store unavailable, counting in this process: %r", exc)
            return await getattr(self.fallback, name)(*args, **kwargs)

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        await self._call("set", key, value, expires_in=expires_in)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._call("get", key, renew_for=renew_for)  # type: ignore[no-any-return]

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def delete_all(self) -> None:
        await self._call("delete_all")

    async def exists(self, key: str) -> bool:
        return bool(await self._call("exists", key))

    async def expires_in(self, key: str) -> int | None:
        return await self._call("expires_in", key)  # type: ignore[no-any-return]


def redis_stores(url: str) -> dict[str, Store]:
    redis = RedisStore(redis_client(url), handle_client_shutdown=True)
    return {
        "sessions": GuardedStore(redis.with_namespace("sessions")),
        "rate_limit": FallbackStore(redis.with_namespace("rate_limit")),
    }


_LOADED = "throughcare.session.loaded"
_ROTATE = "throughcare.session.rotate"  # set by core.accounts.sessions.start_session
UNAVAILABLE_PATH = "/unavailable"


def remember_loaded(scope: Any, data: dict[str, Any]) -> None:
    scope.setdefault("state", {})[_LOADED] = dict(data)


def session_not_saved(scope_session: Any, message: Any, scope: Any) -> None:
    """The session store failed as the response started, after the handler had run.

    An API response goes out as it is: its token is the credential, the cookie only a
    convenience. A page whose session did not change goes out too: only the renewal of
    its idle timeout is lost. A page that changed the session (a sign-in, a sign-out)
    did not do what it says, so it becomes a redirect to the plain "unavailable" page;
    the browser ignores a redirect's body, so the body already rendered can follow.
    """
    state = scope.get("state", {})
    if scope["path"].startswith("/api/"):
        log.warning("session store unavailable: API response sent without its session")
        return
    loaded = state.get(_LOADED, {})
    current = {} if scope_session in (None, Empty) else scope_session
    if current == loaded and not state.get(_ROTATE):
        log.warning("session store unavailable: page sent, session not renewed")
        return
    log.warning("session store unavailable: session change not saved; page redirected")
    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() == b"content-length"]
    message["status"] = 303
    message["headers"] = [(b"location", UNAVAILABLE_PATH.encode()), *kept]


@get(UNAVAILABLE_PATH, exclude_from_auth=True, include_in_schema=False)
async def unavailable_page() -> None:
    """Where a page that could not save its session is sent: the plain 503 message."""
    raise SessionsUnavailable


def unavailable_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Every 503: a GOV.UK page for people, the API's JSON error body for scripts."""
    if request.url.path.startswith(("/api/", "/schema", "/health")):
        return api_error_handler(request, exc)
    return Template(
        template_name="pages/error.html",
        context={
            "actor": None,
            "nav": [],
            "status": exc.status_code,
            "title": "Sorry, the service is unavailable",
            "stale_form": False,
            "detail": None,
            "request_id": current_request_id(),
        },
        status_code=exc.status_code,
        headers=exc.headers or {},
    )
