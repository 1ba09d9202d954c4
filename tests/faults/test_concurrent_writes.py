"""Two web processes against one PostgreSQL, 200 intervention writes at once: none fails,
none is lost, each has exactly one audit row, and the audit chain has no break."""

from __future__ import annotations

import pytest

from core.bench.faults import concurrent_writes, table

WRITES = 200  # the figure the issue asks for


async def test_two_processes_200_concurrent_writes_lose_and_double_nothing(settings, tmp_path):
    if not settings.db.url.startswith("postgresql"):
        pytest.skip("two processes writing at once: PostgreSQL only")
    figures = await concurrent_writes(settings, tmp_path / "var", writes=WRITES, processes=2)
    print("\n" + table(figures.rows()))
    assert figures.failed_requests == 0
    assert figures.writes_lost == 0
    assert figures.audit_missing == 0 and figures.audit_doubled == 0
    assert figures.chain_rows_checked >= WRITES and figures.chain_breaks == 0
