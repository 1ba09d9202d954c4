"""`throughcare bench http` at a tiny size: both servers start, every case is driven,
and the printed table has a row of positive numbers for each (not a timing assertion)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from core import cli
from core.bench.http import ANCHOR
from core.settings import get_settings

ROWS = (
    ANCHOR,
    "health",
    "list (nurse)",
    "list (sacro worker)",
    "record (nurse)",
    "intervention write",
    "HTML caseload page",
    "HTML record page",
)
NUMBER = r"([0-9]+(?:\.[0-9]+)?)"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path) -> CliRunner:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("THROUGHCARE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("THROUGHCARE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    return CliRunner()


def test_the_http_bench_prints_every_case_with_figures(runner: CliRunner) -> None:
    argv = ["bench", "http", "--persons", "120", "--requests", "12", "--seconds", "3"]
    result = runner.invoke(cli.main, [*argv, "--concurrency", "2"])
    assert result.exit_code == 0, (result.output, result.exception)
    out = result.output
    assert "concurrency 2" in out
    for name in ROWS:
        line = re.search(
            rf"^\s+{re.escape(name)}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}",
            out,
            re.M,
        )
        assert line, f"no row for {name!r} in:\n{out}"
        requests, rate, p50, p99, ratio = (float(g) for g in line.groups())
        assert requests > 0 and rate > 0 and p50 > 0 and p99 > 0 and ratio > 0, line.group(0)
    for target in ("list ÷ anchor", "health ÷ anchor", "record p50", "write p50", "HTML caseload"):
        assert f"target {target}" in out
