"""Server-side sessions: a new session id at every privilege change, and no store traffic
for requests that have no session.

Litestar's backend keeps whatever session id the client's cookie carries, so a cookie an
attacker planted before sign-in would be signed in with the victim (session fixation).
``start_session`` marks the request so the backend drops the old store entry and writes the
session under a freshly generated id instead; sign-in (each step of it) and any other
privilege change call it.

Litestar's backend also deletes the (empty) session and clears the cookie on every response
without a session — for bearer-token scripts too. That is a store round trip per API
call, and with Redis as the store, a Redis outage would fail every request, including
those that never use a session. Here a request that came without a session cookie and
still has no session touches neither the store nor the cookie.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession

from core.redis_safety import SessionsUnavailable, remember_loaded, session_not_saved

# Keys in the ASGI scope's state, set by start_session for the backend to act on.
_ROTATE = "throughcare.session.rotate"
_NEW_ID = "throughcare.session.new_id"


def start_session(
    connection: ASGIConnection[Any, Any, Any, Any],
    user_id: uuid.UUID,
    *,
    token_id: uuid.UUID | None = None,
    **extra: Any,
) -> None:
    """Begin a signed-in session under a new id, discarding the client's old one.

    ``token_id`` ties the session to the bearer token issued by the same sign-in, so
    signing out with either ends both. ``extra`` is stored alongside (e.g. a pending step).
    """
    data: dict[str, Any] = {"uid": str(user_id), "iat": time.time(), **extra}
    if token_id is not None:
        data["tid"] = str(token_id)
    connection.scope.setdefault("state", {})[_ROTATE] = True
    connection.set_session(data)


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    # A script authenticates by its token alone: a session cookie its HTTP client kept from
    # sign-in is neither read nor rewritten, so a session-store (Redis) outage cannot fail it.
    return bool(connection.headers.get("authorization"))


class SessionBackend(ServerSideSessionBackend):
    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        if _bearer(connection):
            return {}
        data = await super().load_from_connection(connection)
        remember_loaded(connection.scope, data)
        return data

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(_ROTATE):
            if _NEW_ID not in state:
                state[_NEW_ID] = self.generate_session_id()
            return str(state[_NEW_ID])
        return super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: Any
    ) -> None:
        if _bearer(connection):
            return
        try:
            await self._store_in_message(scope_session, message, connection)
        except SessionsUnavailable:
            # The response has started: raising now would be a 500 (core/redis_safety.py).
            session_not_saved(scope_session, message, connection.scope)

    async def _store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: Any
    ) -> None:
        old_id = connection.cookies.get(self.config.key)
        if (scope_session is Empty or not scope_session) and old_id is None:
            return
        if connection.scope.get("state", {}).get(_ROTATE) and old_id and old_id != "null":
            # The old id must stop working at once, not when it would have expired.
            await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend
