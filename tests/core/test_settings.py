"""Settings come from the environment; a wrong value names its variable."""

from __future__ import annotations

import pytest

from core.settings import SettingsError, load_settings


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("THROUGHCARE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("THROUGHCARE_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


def test_defaults_are_the_embedded_setup(env, tmp_path):
    settings = load_settings()
    assert settings.db.url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'throughcare.db'}"
    assert settings.redis.url is None
    assert settings.server.port == 8000


def test_secret_key_is_generated_once_into_var(env, tmp_path):
    first = load_settings().security.secret_key
    assert (tmp_path / "var" / "secret_key").read_text() == first
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode)[-3:] == "600"
    assert load_settings().security.secret_key == first


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("THROUGHCARE_PORT", "eighty"),
        ("THROUGHCARE_PORT", "0"),
        ("THROUGHCARE_DATABASE_URL", "mysql://x"),
        ("THROUGHCARE_REDIS_URL", "http://x"),
        ("THROUGHCARE_ENV", "staging"),
        ("THROUGHCARE_LOG_LEVEL", "LOUD"),
        ("THROUGHCARE_SECRET_KEY", "short"),
        ("THROUGHCARE_SESSION_IDLE_MINUTES", "-5"),
    ],
)
def test_wrong_values_name_the_variable(env, name, value):
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_production_requires_a_secret_key(env):
    env.setenv("THROUGHCARE_ENV", "production")
    with pytest.raises(SettingsError, match="THROUGHCARE_SECRET_KEY"):
        load_settings()
    env.setenv("THROUGHCARE_SECRET_KEY", "s" * 40)
    assert load_settings().server.environment == "production"
