"""The ASGI application: ``uvicorn core.app:create_app --factory``."""

from __future__ import annotations

import pluggy
from litestar import Litestar

from core.plugins import get_plugin_manager
from core.server import ThroughcarePlugin
from core.settings import Settings, get_settings


def create_app(
    settings: Settings | None = None, plugin_manager: pluggy.PluginManager | None = None
) -> Litestar:
    settings = settings or get_settings()
    return Litestar(
        plugins=[ThroughcarePlugin(settings, plugin_manager or get_plugin_manager())],
        # Litestar reads this from its constructor only, not from a plugin's on_app_init.
        request_max_body_size=settings.security.max_body_bytes,
    )
