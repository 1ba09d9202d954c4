"""Alembic environment: async engine from Throughcare settings, core and plugin metadata."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from core.db.engine import make_engine
from core.db.models import Base
from core.plugins import get_plugin_manager
from core.settings import get_settings

config = context.config
# Plugins' tables join core's metadata through the register_models hook.
for _answer in get_plugin_manager().hook.register_models():
    pass
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().db.url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    from core.settings import DatabaseSettings

    engine = make_engine(DatabaseSettings(url=_url()))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    existing = config.attributes.get("connection")
    if existing is not None:
        _run(existing)
    else:
        asyncio.run(_run_async())
