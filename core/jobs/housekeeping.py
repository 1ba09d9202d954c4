"""Core's own jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from core.accounts.models import ApiToken
from core.db.base import utcnow
from core.hookspecs import hookimpl

TOKEN_RETENTION = timedelta(days=30)


async def purge_dead_tokens(ctx: dict[str, Any]) -> int:
    """Delete tokens that expired or were revoked more than 30 days ago. Idempotent."""
    cutoff = utcnow() - TOKEN_RETENTION
    async with ctx["session_factory"]() as session:
        result = await session.execute(
            delete(ApiToken).where(
                (ApiToken.expires_at < cutoff)
                | (ApiToken.revoked_at.is_not(None) & (ApiToken.revoked_at < cutoff))
            )
        )
        await session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


@hookimpl
def register_jobs() -> list[Any]:
    return [purge_dead_tokens]
