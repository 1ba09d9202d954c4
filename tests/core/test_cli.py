"""The `throughcare` command against a real SQLite file."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from core import cli
from core.settings import get_settings


@pytest.fixture
def runner(monkeypatch, tmp_path):
    monkeypatch.setenv("THROUGHCARE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("THROUGHCARE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("THROUGHCARE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_upgrade_sync_create_user_reset(runner):
    assert runner.invoke(cli.main, ["db", "upgrade"]).exit_code == 0
    first = runner.invoke(cli.main, ["tenants", "sync"])
    assert first.exit_code == 0 and "low-moss: created" in first.output
    again = runner.invoke(cli.main, ["tenants", "sync"])
    assert "low-moss: unchanged" in again.output

    created = runner.invoke(
        cli.main,
        [
            "users",
            "create",
            "Lead.Person",
            "--name",
            "Lead Person",
            "--tenant",
            "low-moss",
            "--organisation",
            "sacro",
            "--role",
            "partnership_lead",
            "--password",
            "a long passphrase",
        ],
    )
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(
        cli.main,
        ["users", "create", "lead.person", "--name", "X", "--password", "a long passphrase"],
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    bad_role = runner.invoke(
        cli.main,
        [
            "users",
            "create",
            "other",
            "--name",
            "X",
            "--tenant",
            "low-moss",
            "--organisation",
            "sacro",
            "--role",
            "wizard",
            "--password",
            "a long passphrase",
        ],
    )
    assert bad_role.exit_code != 0 and "wizard" in bad_role.output
    short = runner.invoke(
        cli.main, ["users", "reset-password", "lead.person", "--password", "short"]
    )
    assert short.exit_code != 0 and "12 characters" in short.output
    ok = runner.invoke(
        cli.main, ["users", "reset-password", "lead.person", "--password", "another long one"]
    )
    assert ok.exit_code == 0, ok.output


def test_downgrade_asks_first(runner):
    assert runner.invoke(cli.main, ["db", "upgrade"]).exit_code == 0
    refused = runner.invoke(cli.main, ["db", "downgrade", "--revision", "base"], input="n\n")
    assert refused.exit_code != 0
    assert runner.invoke(cli.main, ["tenants", "sync"]).exit_code == 0  # tables still there


def test_bad_setting_is_a_clear_error(runner, monkeypatch):
    monkeypatch.setenv("THROUGHCARE_PORT", "lots")
    get_settings.cache_clear()
    result = runner.invoke(cli.main, ["db", "upgrade"])
    assert result.exit_code != 0 and "THROUGHCARE_PORT" in result.output


def test_worker_without_redis_explains(runner):
    result = runner.invoke(cli.main, ["worker"])
    assert result.exit_code != 0 and "THROUGHCARE_REDIS_URL" in result.output
