"""What every `throughcare` subcommand shares: the console, settings, running against the DB."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from core.settings import Settings, SettingsError, get_settings

T = TypeVar("T")
console = Console()


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _run(fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``fn(session_factory)`` against the configured database, then dispose of it."""
    from core.db.engine import make_engine, make_session_factory

    async def main() -> T:
        engine = make_engine(_settings().db)
        try:
            return await fn(make_session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())
