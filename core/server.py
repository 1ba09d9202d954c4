"""Everything the app is wired with, in one Litestar plugin; create_app() stays tiny."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import pluggy
from litestar import Litestar, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ServiceUnavailableException
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins import InitPluginProtocol, ReceiveRoutePlugin
from litestar.routes import BaseRoute
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from sqlalchemy.exc import DBAPIError

from core.accounts.middleware import AuthenticationMiddleware
from core.accounts.sessions import SessionConfig
from core.audit.chain import register_settings as register_audit_key
from core.authz.access import provide_access
from core.authz.actor import ActorCache, provide_actor
from core.authz.enforcer import PolicyStore
from core.authz.watcher import watcher_lifespan
from core.db.engine import make_engine, make_session_factory
from core.db.session import provide_db_session
from core.errors import internal_error_handler
from core.input_guard import InputGuardMiddleware
from core.openapi import api_error_handler, document_errors, out_of_range_handler
from core.redis_safety import redis_stores, unavailable_handler, unavailable_page
from core.request_id import RequestIdMiddleware
from core.security_headers import add_security_headers, proxy_headers_middleware
from core.settings import Settings
from core.vocabulary import intervention_kinds, sharing_categories

PUBLIC_PATHS = ["^/health$", "^/schema", "^/api/v1/auth/login$"]


@get("/health", exclude_from_auth=True, summary="200 when the database answers", tags=["ops"])
async def health(state: State) -> dict[str, str]:
    # A pooled connection and the driver's own SQL: no ORM session or statement compile
    # for a probe that load balancers send every few seconds.
    try:
        async with state.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        raise ServiceUnavailableException("Database unavailable") from exc
    return {"status": "ok"}


class ThroughcarePlugin(InitPluginProtocol, ReceiveRoutePlugin):
    def __init__(self, settings: Settings, pm: pluggy.PluginManager) -> None:
        self.settings = settings
        self.pm = pm

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncGenerator[None, None]:
        engine = make_engine(self.settings.db)
        # This app's settings, not the environment's, key the audit chain it writes.
        register_audit_key(self.settings)
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        try:
            yield
        finally:
            # Per-app engine, disposed here: test apps built per test leak no connections.
            await engine.dispose()

    def receive_route(self, route: BaseRoute) -> None:
        document_errors(route)  # every operation documents the shared error answers

    def _stores(self) -> dict[str, Any]:
        if self.settings.redis.url:
            # Guarded: a Redis outage is a plain 503 for pages, never a 500 (core/redis_safety.py).
            return redis_stores(self.settings.redis.url)
        sessions_dir = self.settings.paths.var_dir / "sessions"
        sessions_dir.mkdir(parents=True, exist_ok=True)
        return {"sessions": FileStore(sessions_dir), "rate_limit": MemoryStore()}

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        security = self.settings.security
        production = self.settings.server.environment == "production"
        sessions = SessionConfig(
            max_age=security.session_idle_minutes * 60,
            renew_on_access=True,  # idle timeout; the absolute one is checked on sign-in age
            samesite="strict",
            secure=production,
            httponly=True,
            key="throughcare_session",
        )
        routes: list[Any] = [health, unavailable_page]
        for answer in self.pm.hook.register_routes():
            routes.extend(answer)

        app_config.route_handlers.extend(routes)
        app_config.lifespan.append(self.lifespan)
        app_config.lifespan.append(watcher_lifespan)
        app_config.state = State(
            {
                "settings": self.settings,
                "plugin_manager": self.pm,
                "sharing_categories": sharing_categories(self.pm),
                "intervention_kinds": intervention_kinds(self.pm),
                # One policy store per process: each tenant's enforcer, reloaded on change.
                "policies": PolicyStore(self.settings.paths.policies_dir / "model.conf"),
                # One actor cache per app: each request checks its entry's stamp (one row).
                "actor_cache": ActorCache(),
            }
        )
        app_config.stores = self._stores()
        app_config.dependencies.update(
            {
                "db_session": Provide(provide_db_session),
                "actor": Provide(provide_actor),
                "access": Provide(provide_access),
            }
        )
        app_config.before_send.append(add_security_headers)
        app_config.middleware[:0] = [
            *proxy_headers_middleware(self.settings.server.trusted_proxies),
            RequestIdMiddleware(),
            InputGuardMiddleware(security.max_body_bytes),
            sessions.middleware,
            DefineMiddleware(AuthenticationMiddleware, exclude=PUBLIC_PATHS),
        ]
        app_config.exception_handlers[HTTP_500_INTERNAL_SERVER_ERROR] = internal_error_handler
        app_config.exception_handlers[HTTP_503_SERVICE_UNAVAILABLE] = unavailable_handler
        app_config.exception_handlers.setdefault(HTTPException, api_error_handler)
        for overflow in (OverflowError, DBAPIError):
            app_config.exception_handlers.setdefault(overflow, out_of_range_handler)
        app_config.openapi_config = OpenAPIConfig(
            title="Throughcare API", version="1", path="/schema"
        )
        app_config.logging_config = LoggingConfig(
            root={"level": self.settings.server.log_level, "handlers": ["queue_listener"]},
            loggers={"casbin": {"level": "WARNING"}},
            log_exceptions="debug",
        )
        app_config.debug = False
        return app_config
