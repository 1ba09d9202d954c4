"""Shared fixtures. Settings are built explicitly for each test: no global state leaks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from litestar.testing import AsyncTestClient

from core.accounts.models import Membership, User
from core.accounts.passwords import hash_password
from core.accounts.services import issue_token
from core.app import create_app
from core.db.engine import make_engine, make_session_factory
from core.settings import (
    PROJECT_ROOT,
    DatabaseSettings,
    PathSettings,
    RedisSettings,
    SecuritySettings,
    ServerSettings,
    Settings,
)
from core.tenancy.services import sync_tenants
from core.tenancy.spec import load_specs
from tests import databases

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if databases.PG_URL is None:
        yield None
        return
    databases.check_postgres(databases.PG_URL)
    databases.make_pg_template(databases.PG_URL)
    yield databases.PG_URL
    databases.drop_pg(databases.PG_URL, databases.TEMPLATE)


@pytest.fixture(params=databases.BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield databases.clone_sqlite(sqlite_template, tmp_path)
        return
    admin = request.getfixturevalue("pg_template")
    name, url = databases.clone_pg(admin)
    try:
        yield url
    finally:
        databases.drop_pg(admin, name)


def make_settings(db_url: str, var_dir: Path, **security: Any) -> Settings:
    return Settings(
        db=DatabaseSettings(url=db_url, pool_size=5),
        redis=RedisSettings(url=None),
        security=SecuritySettings(secret_key="t" * 48, **security),
        server=ServerSettings(environment="test", log_level="WARNING"),
        paths=PathSettings(
            var_dir=var_dir,
            tenants_dir=PROJECT_ROOT / "tenants",
            policies_dir=PROJECT_ROOT / "policies",
        ),
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path / "var")


# username: (tenant, organisation, roles); the admin belongs to no tenant.
WORLD_USERS: dict[str, tuple[str, str, list[str]] | None] = {
    "lm_lead": ("low-moss", "turning-point-scotland", ["partnership_lead", "case_worker"]),
    "lm_worker": ("low-moss", "turning-point-scotland", ["case_worker"]),
    "lm_sacro": ("low-moss", "sacro", ["case_worker"]),
    "lm_nurse": ("low-moss", "nhs-ggc", ["nhs_nurse"]),
    "lm_officer": ("low-moss", "sps-low-moss", ["prison_officer"]),
    "lm_analyst": ("low-moss", "turning-point-scotland", ["analyst"]),
    "lc_worker": ("leicester", "turning-point", ["case_worker"]),
    "admin": None,
}


@dataclass
class World:
    """Tenants synced from tenants/*.toml, a user per line of WORLD_USERS, and their tokens."""

    client: AsyncTestClient[Any]
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    organisations: dict[tuple[str, str], Any] = field(default_factory=dict)
    tenants: dict[str, Any] = field(default_factory=dict)

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def org_id(self, tenant: str, slug: str) -> str:
        return str(self.organisations[(tenant, slug)].id)

    async def get(self, username: str, url: str, **kw: Any) -> Any:
        return await self.client.get(url, headers=self.auth(username), **kw)

    async def post(self, username: str, url: str, json: Any = None, **kw: Any) -> Any:
        return await self.client.post(url, json=json, headers=self.auth(username), **kw)

    async def patch(self, username: str, url: str, json: Any = None, **kw: Any) -> Any:
        return await self.client.patch(url, json=json, headers=self.auth(username), **kw)

    async def delete(self, username: str, url: str, **kw: Any) -> Any:
        return await self.client.delete(url, headers=self.auth(username), **kw)


async def seed_world(settings: Settings, password_hash: str) -> dict[str, Any]:
    from sqlalchemy import select

    from core.tenancy.models import Organisation, Tenant

    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    out: dict[str, Any] = {"tokens": {}, "users": {}, "organisations": {}, "tenants": {}}
    try:
        async with factory() as session:
            await sync_tenants(session, load_specs(settings.paths.tenants_dir))
            tenants = {t.slug: t for t in (await session.scalars(select(Tenant))).all()}
            orgs = {
                (t.slug, o.slug): o
                for t in tenants.values()
                for o in (
                    await session.scalars(
                        select(Organisation).where(Organisation.tenant_id == t.id)
                    )
                ).all()
            }
            for username, place in WORLD_USERS.items():
                user = User(
                    username=username,
                    display_name=username.replace("_", " ").title(),
                    password_hash=password_hash,
                    is_platform_admin=place is None,
                )
                session.add(user)
                await session.flush()
                if place is not None:
                    tenant, org, roles = place
                    session.add(
                        Membership(
                            tenant_id=tenants[tenant].id,
                            user_id=user.id,
                            organisation_id=orgs[(tenant, org)].id,
                            roles=roles,
                        )
                    )
                issued = await issue_token(session, user, settings.security)
                out["tokens"][username] = issued.token
                out["users"][username] = user
            await session.commit()
            out["organisations"] = orgs
            out["tenants"] = tenants
    finally:
        await engine.dispose()
    return out


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
async def world(settings: Settings, password_hash: str) -> AsyncIterator[World]:
    seeded = await seed_world(settings, password_hash)
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield World(client=test_client, settings=settings, **seeded)


def worker_redis_url(url: str) -> str:
    """Each xdist worker its own Redis database, counting down from the one given, so a
    test that flushes its database never empties another worker's queue."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    from redis.connection import parse_url

    base = int(parse_url(url).get("db", 0))
    db = base - int(worker[2:])
    if db < 0:
        pytest.fail(f"too many xdist workers for Redis databases 0..{base}")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis. Under CI its absence fails the run; on a desk it skips."""
    url = os.environ.get("THROUGHCARE_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("THROUGHCARE_TEST_REDIS_URL must be set under CI")
        pytest.skip("THROUGHCARE_TEST_REDIS_URL not set")
    import redis

    url = worker_redis_url(url)
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is not reachable: {exc}")
    finally:
        client.close()
    return url


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not databases.PG_URL:
        raise pytest.UsageError("THROUGHCARE_TEST_DATABASE_URL must be set under CI")


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The browser tests share one server and one Chromium per package: under
    # `--dist loadgroup` they all run on one worker instead of starting one per worker.
    browser = Path(__file__).parent / "browser"
    for item in items:
        if browser in Path(item.path).parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


def pytest_report_header() -> str:
    return f"throughcare backends: {', '.join(databases.BACKENDS)}; CI={os.environ.get('CI', '')}"
