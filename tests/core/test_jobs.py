"""Core's jobs: called directly with a small ctx, and run by a burst worker on the real Redis."""

from __future__ import annotations

from datetime import timedelta

from arq.connections import create_pool
from arq.worker import Worker
from sqlalchemy import select

from core.accounts.models import ApiToken
from core.db.base import utcnow
from core.db.engine import make_engine, make_session_factory
from core.jobs.housekeeping import purge_dead_tokens
from core.jobs.worker import worker_options
from core.settings import RedisSettings


async def _age_tokens(factory, world, days: int) -> None:
    async with factory() as session:
        for token in (await session.scalars(select(ApiToken))).all():
            if token.user_id == world.users["lm_worker"].id:
                token.expires_at = utcnow() - timedelta(days=days)
        await session.commit()


async def _token_owners(factory) -> set:
    async with factory() as session:
        return {t.user_id for t in (await session.scalars(select(ApiToken))).all()}


async def test_purge_dead_tokens_direct(world):
    engine = make_engine(world.settings.db)
    factory = make_session_factory(engine)
    try:
        await _age_tokens(factory, world, 45)
        assert await purge_dead_tokens({"session_factory": factory}) == 1
        assert world.users["lm_worker"].id not in await _token_owners(factory)
        assert await purge_dead_tokens({"session_factory": factory}) == 0  # idempotent
    finally:
        await engine.dispose()


async def test_purge_runs_in_a_burst_worker(world, redis_url):
    import msgspec

    settings = msgspec.structs.replace(world.settings, redis=RedisSettings(url=redis_url))
    engine = make_engine(settings.db)
    factory = make_session_factory(engine)
    options = worker_options(settings)
    pool = await create_pool(
        options["redis_settings"],
        job_serializer=options["job_serializer"],
        job_deserializer=options["job_deserializer"],
    )
    try:
        await pool.flushdb()
        await _age_tokens(factory, world, 45)
        job = await pool.enqueue_job("purge_dead_tokens")
        worker = Worker(**{**options, "cron_jobs": []}, burst=True, poll_delay=0.05)
        await worker.main()
        await worker.close()
        assert await job.result(timeout=5) == 1
        assert world.users["lm_worker"].id not in await _token_owners(factory)
    finally:
        await pool.aclose()
        await engine.dispose()
