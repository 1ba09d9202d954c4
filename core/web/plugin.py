"""The pages' app-level wiring: templates, static files, CSRF, HTML 404s. Added in core/app.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_404_NOT_FOUND, HTTP_405_METHOD_NOT_ALLOWED
from litestar.template.config import TemplateConfig

from core.settings import PROJECT_ROOT, Settings
from core.web import filters
from core.web.assets import STATIC_DIR
from core.web.context import error_page

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
PUBLIC_DIR = WEB_DIR / "public"

# Paths the CSRF check leaves alone: the API authenticates with a bearer token or the
# SameSite=strict session cookie, and static files are never written to.
CSRF_EXEMPT = ["^/api/", "^/health$", "^/schema", "^/static/"]


def template_directories() -> list[Path]:
    """Core's templates first, then each built-in plugin's ``templates/`` (person panels)."""
    plugin_dirs = sorted(p for p in (PROJECT_ROOT / "plugins").glob("*/templates") if p.is_dir())
    return [TEMPLATES_DIR, *plugin_dirs]


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in template_directories()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters.install(env)
    return env


def is_page_request(path: str) -> bool:
    return not path.startswith(("/api/", "/schema", "/health"))


def not_found_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Unknown paths: a GOV.UK page for people, Litestar's JSON shape for API clients."""
    if is_page_request(request.url.path):
        return error_page(request, exc)
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code, media_type=MediaType.JSON)


class WebPlugin(InitPluginProtocol):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        production = self.settings.server.environment == "production"
        app_config.template_config = TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(make_environment())
        )
        app_config.csrf_config = CSRFConfig(
            secret=self.settings.security.secret_key,
            cookie_name="throughcare_csrf",
            cookie_samesite="strict",
            cookie_secure=production,
            cookie_httponly=True,  # the token reaches forms through the page, never via JS
            exclude=CSRF_EXEMPT,
        )
        app_config.route_handlers.append(
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR, PUBLIC_DIR],
                opt={"exclude_from_auth": True},
                cache_control=CacheControlHeader(max_age=3600),
            )
        )
        for status in (HTTP_404_NOT_FOUND, HTTP_405_METHOD_NOT_ALLOWED):
            app_config.exception_handlers.setdefault(status, not_found_handler)
        return app_config
