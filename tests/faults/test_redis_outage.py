"""The portal's own Redis killed under load and started again: bearer API reads and writes
keep working, signed-in pages are refused plainly (503 with a message), nothing is lost,
and the jobs held in the outbox are dispatched once Redis is back."""

from __future__ import annotations

import shutil

import pytest

from core.bench.faults import redis_outage, table

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


async def test_redis_killed_under_load_fails_no_api_request_and_loses_nothing(settings, tmp_path):
    figures = await redis_outage(settings, tmp_path / "var", clients=2, outage_s=3.0)
    print("\n" + table(figures.rows()))

    api_read, api_write, page = (figures.kinds[k] for k in ("api read", "api write", "page"))
    down = figures.during_outage
    for tally in (api_read, api_write):
        assert tally.server_errors == 0 and not tally.other
    # Bearer requests never touch the session store: not even refused while it is down.
    assert api_read.refused == api_write.refused == 0
    assert down["api read"].ok > 0 and down["api write"].ok > 0
    # Signed-in pages need the session store: refused plainly (503 with the message) while
    # it is down; Redis came back empty, so the next page sends to sign-in (302), and after
    # signing in again pages work.
    assert page.server_errors == 0 and set(page.other) <= {302}
    assert down["page"].refused > 0
    assert page.ok > down["page"].ok and figures.signed_in_again.get(200, 0) > 0
    assert figures.writes_acknowledged == api_write.ok and figures.writes_lost == 0
    # Writes during the outage asked for jobs that only the outbox could hold: handed on
    # once Redis is back, and none lost.
    assert figures.jobs_undispatched_after_outage > 0
    assert figures.jobs_dispatched_after_recovery == figures.jobs_undispatched_after_outage
    assert figures.jobs_requested > 0 and figures.jobs_lost == 0
