"""The per-request database session; anything a handler left uncommitted is rolled back."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.session_factory() as session:
        try:
            yield session
        finally:
            # A handler that raised never committed: nothing half-written survives.
            if session.in_transaction():
                await session.rollback()
