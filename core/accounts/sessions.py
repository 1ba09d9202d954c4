"""Server-side sessions that leave the store alone for requests that have none.

Litestar's backend deletes the (empty) session and clears the cookie on every response
without a session — for bearer-token scripts too. That is a store round trip per API
call, and with Redis as the store, a Redis outage would fail every request, including
those that never use a session. Here a request that came without a session cookie and
still has no session touches neither the store nor the cookie.
"""

from __future__ import annotations

from typing import Any

from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession


class SessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: Any
    ) -> None:
        if (
            scope_session is Empty or not scope_session
        ) and self.config.key not in connection.cookies:
            return
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend
