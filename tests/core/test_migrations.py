"""Alembic is the only way the schema is made: up, down, up again; models and migrations agree."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.db.engine import make_engine
from core.db.migrate import downgrade, upgrade
from core.db.models import Base
from core.persons.search import is_search_index
from core.settings import DatabaseSettings


async def _schema_diff(url: str) -> list:
    engine = make_engine(DatabaseSettings(url=url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_object": is_search_index}
                    ),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = make_engine(DatabaseSettings(url=url))
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(db_url):
    assert await _schema_diff(db_url) == []


def test_downgrade_to_base_and_back(db_url):
    # Synchronous: Alembic's env runs its own event loop, as `throughcare db` does.
    assert "persons" in asyncio.run(_tables(db_url))
    downgrade(db_url, "base")
    assert asyncio.run(_tables(db_url)) <= {"alembic_version"}
    upgrade(db_url, "heads")
    assert asyncio.run(_schema_diff(db_url)) == []


def test_every_case_table_leads_with_tenant_id():
    platform = {
        "tenants",
        "users",
        "api_tokens",
        "audit_events",
        "user_second_factors",
        "user_recovery_codes",
    }
    # Sign-in must find a user's partnerships across tenants: the one deliberate exception.
    cross_tenant_indexes = {"ix_memberships_user_id"}
    for table in Base.metadata.sorted_tables:
        if table.name in platform:
            continue
        assert next(c.name for c in table.primary_key.columns) == "tenant_id", table.name
        for index in table.indexes:
            if index.name in cross_tenant_indexes:
                continue
            assert next(iter(index.columns)).name == "tenant_id", (table.name, index.name)
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name not in ("users", "tenants"):
                assert fk.column_keys[0] == "tenant_id", (table.name, fk.name)
