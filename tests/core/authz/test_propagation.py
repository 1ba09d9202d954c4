"""Several processes: a protocol published through one is enforced by the others within
a second — over Redis pub/sub, and by the version check when a message is lost."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from core.authz.enforcer import PolicyStore, TenantPolicy
from core.authz.watcher import announce, listen
from core.db.engine import make_engine, make_session_factory
from core.settings import PROJECT_ROOT
from core.tenancy.models import Tenant
from tests.conftest import seed_world

LM = "/api/v1/t/low-moss"
NEW_RULE = "p, r:case_worker, low-moss, health, read, partnership, no_consent"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, redis_url: str, var_dir: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "THROUGHCARE_DATABASE_URL": db_url,
        "THROUGHCARE_REDIS_URL": redis_url,
        "THROUGHCARE_SECRET_KEY": "p" * 48,
        "THROUGHCARE_VAR_DIR": str(var_dir),
        "THROUGHCARE_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "core.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )


async def wait_ready(base: str, deadline: float = 30) -> None:
    async with httpx.AsyncClient() as client:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                if (await client.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not start")


async def no_second_lead(settings: Any) -> None:
    engine = make_engine(settings.db)
    try:
        async with make_session_factory(engine)() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == "low-moss"))
            assert tenant is not None
            config = dict(tenant.config) | {"protocol_approval_threshold": 1.0}
            await session.execute(
                update(Tenant).where(Tenant.id == tenant.id).values(config=config)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_a_change_through_one_process_is_enforced_by_another_within_a_second(
    settings, password_hash, redis_url, tmp_path
):
    seeded = await seed_world(settings, password_hash)
    tokens = seeded["tokens"]
    ports = [free_port(), free_port()]
    servers = [
        start_server(settings.db.url, redis_url, tmp_path / f"var{i}", port)
        for i, port in enumerate(ports)
    ]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        await asyncio.gather(wait_ready(a), wait_ready(b))
        lead = {"Authorization": f"Bearer {tokens['lm_lead']}"}
        sacro = {"Authorization": f"Bearer {tokens['lm_sacro']}"}
        worker = {"Authorization": f"Bearer {tokens['lm_worker']}"}
        async with httpx.AsyncClient(timeout=10) as client:
            person = await client.post(
                f"{a}{LM}/persons",
                json={"given_name": "Two", "family_name": "Procs", "date_of_birth": "1980-02-02"},
                headers=worker,
            )
            assert person.status_code == 201, person.text
            url = f"{b}{LM}/persons/{person.json()['id']}"
            # Process B has loaded version 1 and withholds health from Sacro.
            assert "health" in (await client.get(url, headers=sacro)).json()["restricted"]

            # This test is about propagation, not the two-person rule: no second lead needed.
            await no_second_lead(settings)
            rules = (await client.get(f"{a}{LM}/protocol", headers=lead)).json()["rules"]
            published = await client.post(
                f"{a}{LM}/protocol",
                json={"rules": f"{rules}\n{NEW_RULE}\n", "reason": "Share health for the pilot"},
                headers=lead,
            )
            assert published.status_code == 201, published.text
            started = time.monotonic()
            while "health" not in (await client.get(url, headers=sacro)).json()["readable"]:
                assert time.monotonic() - started < 1.0, "process B still enforces version 1"
                await asyncio.sleep(0.05)
            assert time.monotonic() - started < 1.0
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


async def test_the_watcher_drops_a_stale_enforcer_when_redis_announces_a_version(redis_url):
    store = PolicyStore(PROJECT_ROOT / "policies" / "model.conf")
    tenant = uuid.uuid4()
    store._tenants[tenant] = TenantPolicy(store.model_path, "low-moss", 1, "")
    task = asyncio.create_task(listen(redis_url, store))
    try:
        await asyncio.sleep(0.3)  # subscribed
        await announce(redis_url, uuid.uuid4(), 5)  # another tenant's change: kept
        await announce(redis_url, tenant, 2)
        started = time.monotonic()
        while store.cached(tenant) is not None:
            assert time.monotonic() - started < 1.0
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    # An older or equal version never evicts a newer enforcer.
    store._tenants[tenant] = TenantPolicy(store.model_path, "low-moss", 3, "")
    store.invalidate(tenant, 2)
    assert store.cached(tenant) is not None


async def test_announce_without_redis_is_a_no_op():
    await announce(None, uuid.uuid4(), 1)
