"""Test databases: every test gets a fresh, migrated database, on SQLite and (when
THROUGHCARE_TEST_DATABASE_URL is set) on PostgreSQL, cloned from a template that
Alembic migrated once per run — so tests exercise the real migrations, not create_all."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from core.db.migrate import upgrade

PG_URL = os.environ.get("THROUGHCARE_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
# One template per test process: two suites running at once never drop each other's.
TEMPLATE = f"throughcare_template_{os.getpid()}"


def _dsn(url: str, database: str) -> str:
    u = make_url(url).set(drivername="postgresql", database=database)
    return u.render_as_string(hide_password=False)


def _run(coro_fn: Any) -> None:
    """asyncio.run, on a thread of its own when a loop already runs here (async tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro_fn())
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(coro_fn())).result()


async def _pg(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_dsn(admin_url, make_url(admin_url).database or "test"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def check_postgres(admin_url: str) -> None:
    """Under CI a missing PostgreSQL fails the run; it is never skipped."""
    _run(lambda: _pg(admin_url, "SELECT 1"))


def make_pg_template(admin_url: str) -> None:
    _run(
        lambda: _pg(
            admin_url,
            f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)",
            f"CREATE DATABASE {TEMPLATE}",
        )
    )
    upgrade(make_url(admin_url).set(database=TEMPLATE).render_as_string(hide_password=False))


def clone_pg(admin_url: str) -> tuple[str, str]:
    name = f"throughcare_t_{secrets.token_hex(6)}"
    _run(lambda: _pg(admin_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg(admin_url: str, name: str) -> None:
    _run(lambda: _pg(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def clone_sqlite(template: Path, directory: Path) -> str:
    target = directory / "throughcare.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"
