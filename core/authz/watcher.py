"""Propagation of protocol changes between processes.

With Redis configured, a publish announces ``<tenant id>:<version>`` on a channel and
every process drops its stale enforcer at once. The announcement is an optimisation,
never the guarantee: each request reads the tenant's ``policy_version`` with the actor
and reloads when it is newer, so a lost message cannot leave a process stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar
from redis.asyncio import Redis

from core.authz.enforcer import PolicyStore
from core.redis_safety import redis_client

CHANNEL = "throughcare:protocol"
log = logging.getLogger("throughcare.authz")


async def announce(redis_url: str | None, tenant_id: uuid.UUID, version: int) -> None:
    if not redis_url:
        return
    try:
        # Timeouts: a publish during a Redis outage must not hold up the lead's request.
        async with redis_client(redis_url) as redis:
            await redis.publish(CHANNEL, f"{tenant_id}:{version}")
    except Exception:  # the version check still covers it
        log.warning("could not announce protocol version %s on Redis", version, exc_info=True)


async def listen(redis_url: str, store: PolicyStore) -> None:
    while True:
        try:
            async with Redis.from_url(redis_url) as redis, redis.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    tenant, _, version = message["data"].decode().partition(":")
                    store.invalidate(uuid.UUID(tenant), int(version))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # One line a second while Redis is down, not a traceback each time.
            log.warning("protocol watcher lost Redis; retrying: %r", exc)
            await asyncio.sleep(1)


@asynccontextmanager
async def watcher_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    settings = app.state.settings
    task = None
    if settings.redis.url:
        task = asyncio.create_task(listen(settings.redis.url, app.state.policies))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
