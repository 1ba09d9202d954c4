"""The plugin machinery, error hygiene, health and request ids."""

from __future__ import annotations

import inspect
from typing import Any

import pluggy
import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from core import hookspecs
from core.app import create_app
from core.hookspecs import hookimpl
from core.plugins import ESSENTIAL_PLUGINS, build_plugin_manager


def test_every_hook_is_documented():
    specs = [
        fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "throughcare_spec")
    ]
    assert specs, "no hook specifications found"
    for fn in specs:
        doc = inspect.getdoc(fn) or ""
        assert len(doc) > 40, f"hook {fn.__name__} needs a docstring saying when and what"


def test_essential_plugins_are_registered():
    pm = build_plugin_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert set(ESSENTIAL_PLUGINS) <= names


def test_a_misspelled_hook_fails_at_start_up():
    class Typo:
        @hookimpl
        def register_rootes(self) -> list[Any]:  # sic
            return []

    pm = build_plugin_manager()
    pm.register(Typo())
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


@get("/boom", exclude_from_auth=True)
async def boom() -> None:
    raise RuntimeError("connection string postgresql://secret@db/prod")


class BoomPlugin:
    @hookimpl
    def register_routes(self) -> list[Any]:
        return [boom]


async def test_internal_errors_leak_nothing(settings):
    pm = build_plugin_manager()
    pm.register(BoomPlugin())
    async with AsyncTestClient(app=create_app(settings, pm)) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "Internal server error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_health_and_request_id(client):
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["x-request-id"] == "abc-123"
    hostile = await client.get("/health", headers={"X-Request-ID": "<script>"})
    assert hostile.headers["x-request-id"] != "<script>"


async def test_openapi_is_served(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/auth/login" in paths
    assert "/api/v1/t/{tenant}/persons" in paths


async def test_health_reports_a_dead_database(settings, tmp_path):
    from tests.conftest import make_settings

    dead = make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/none", tmp_path / "v")
    async with AsyncTestClient(app=create_app(dead)) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert "127.0.0.1" not in response.text
