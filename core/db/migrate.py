"""Schema changes go through Alembic only; these helpers run it from code and the CLI.

Plugins keep their own migration branches, so upgrades go to ``heads``, not ``head``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def plugin_migration_locations() -> list[str]:
    from core.plugins import get_plugin_manager

    return [
        loc for answer in get_plugin_manager().hook.register_migration_locations() for loc in answer
    ]


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [str(MIGRATIONS_DIR / "versions"), *plugin_migration_locations()]
    # os.pathsep, as "path_separator" says: a plugin's directory may hold spaces.
    config.set_main_option("version_locations", os.pathsep.join(locations))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _outside_any_loop(fn: Callable[[], None]) -> None:
    """Alembic's env runs its own event loop: from inside a running one (a test, an app
    hook), do the work on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn).result()


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    _outside_any_loop(lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str | None = None, revision: str = "base") -> None:
    _outside_any_loop(lambda: command.downgrade(alembic_config(url), revision))
