"""The ASGI application: ``uvicorn core.app:create_app --factory``."""

from __future__ import annotations

import pluggy
from litestar import Litestar

from core.jobs.inprocess import JobsPlugin
from core.plugins import get_plugin_manager
from core.server import ThroughcarePlugin
from core.settings import Settings, get_settings
from core.web.plugin import WebPlugin


def create_app(
    settings: Settings | None = None, plugin_manager: pluggy.PluginManager | None = None
) -> Litestar:
    settings = settings or get_settings()
    pm = plugin_manager or get_plugin_manager()
    return Litestar(
        # JobsPlugin after ThroughcarePlugin: its lifespan needs the session factory.
        plugins=[ThroughcarePlugin(settings, pm), JobsPlugin(settings, pm), WebPlugin(settings)],
        # Litestar reads this from its constructor only, not from a plugin's on_app_init.
        request_max_body_size=settings.security.max_body_bytes,
    )
