"""All configuration, read once from the environment into typed sections.

Every variable is named ``THROUGHCARE_*``; ``deploy/CONFIGURATION.md`` lists them.
A wrong value stops start-up with a message naming the variable, never a traceback
from deep inside a driver.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """Raised at start-up when an environment variable holds an unusable value."""


class DatabaseSettings(msgspec.Struct, frozen=True):
    url: str
    echo: bool = False
    pool_size: int = 10

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class RedisSettings(msgspec.Struct, frozen=True):
    # None means no Redis: jobs run in-process and sessions live on disk.
    url: str | None = None


class SecuritySettings(msgspec.Struct, frozen=True):
    secret_key: str
    session_idle_minutes: int = 30
    session_absolute_hours: int = 10
    token_days: int = 30
    login_max_failures: int = 5
    login_lockout_seconds: int = 60
    # Sign-in attempts per minute from one address, before 429 (the account lock-out
    # above is per account).
    login_attempts_per_minute: int = 20
    max_body_bytes: int = 1_048_576


class ServerSettings(msgspec.Struct, frozen=True):
    host: str = "127.0.0.1"
    port: int = 8000
    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Demo only: the reminder clock (core.clock) starts on this day and runs on from it.
    demo_today: date | None = None
    # Peers whose X-Forwarded-For / -Proto are believed (addresses or "*"); none by default,
    # so a client cannot pick the address the sign-in rate limit counts against.
    trusted_proxies: tuple[str, ...] = ()
    # Processes `throughcare serve` runs (uvicorn workers sharing the port).
    workers: int = 1


class PathSettings(msgspec.Struct, frozen=True):
    var_dir: Path
    tenants_dir: Path
    policies_dir: Path


class SmtpSettings(msgspec.Struct, frozen=True):
    # None means no email: tasks appear in the portal only.
    host: str | None = None
    port: int = 587
    sender: str | None = None
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    # Where users reach the portal: the base of the link in a task email.
    public_url: str = "http://127.0.0.1:8000"


class AuditSettings(msgspec.Struct, frozen=True):
    # None: derived from the secret key (core.audit.chain.audit_key), so the embedded
    # default needs nothing; production should set a key of its own.
    key: str | None = None
    # None: $THROUGHCARE_VAR_DIR/audit-checkpoints.
    checkpoint_dir: Path | None = None
    # None keeps every audit event for ever.
    retention_days: int | None = None


class Settings(msgspec.Struct, frozen=True):
    db: DatabaseSettings
    redis: RedisSettings
    security: SecuritySettings
    server: ServerSettings
    paths: PathSettings
    smtp: SmtpSettings = msgspec.field(default_factory=SmtpSettings)
    audit: AuditSettings = msgspec.field(default_factory=AuditSettings)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _env(name, default) or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _secret_key(var_dir: Path, environment: str) -> str:
    key = _env("THROUGHCARE_SECRET_KEY")
    if key is not None:
        if len(key) < 32:
            raise SettingsError("THROUGHCARE_SECRET_KEY must be at least 32 characters long")
        return key
    if environment == "production":
        raise SettingsError("THROUGHCARE_SECRET_KEY must be set in production")
    # Embedded default: generate once into var/ (git-ignored) so restarts keep sessions.
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _demo_today(environment: str) -> date | None:
    raw = _env("THROUGHCARE_DEMO_TODAY")
    if raw is None:
        return None
    if environment == "production":
        raise SettingsError("THROUGHCARE_DEMO_TODAY is for demonstrations; never in production")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(
            f"THROUGHCARE_DEMO_TODAY must be a date like 2026-12-01, got {raw!r}"
        ) from None


def _smtp() -> SmtpSettings:
    host = _env("THROUGHCARE_SMTP_HOST")
    public_url = (_env("THROUGHCARE_PUBLIC_URL", "http://127.0.0.1:8000") or "").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise SettingsError("THROUGHCARE_PUBLIC_URL must start with http:// or https://")
    if host is None:
        return SmtpSettings(public_url=public_url)
    sender = _env("THROUGHCARE_SMTP_FROM")
    if sender is None or "@" not in sender:
        raise SettingsError("THROUGHCARE_SMTP_FROM must be an email address when SMTP is set")
    username, password = _env("THROUGHCARE_SMTP_USERNAME"), _env("THROUGHCARE_SMTP_PASSWORD")
    if (username is None) != (password is None):
        raise SettingsError(
            "THROUGHCARE_SMTP_USERNAME and THROUGHCARE_SMTP_PASSWORD are set together or not at all"
        )
    return SmtpSettings(
        host=host,
        port=_int("THROUGHCARE_SMTP_PORT", 587),
        sender=sender,
        username=username,
        password=password,
        starttls=_choice("THROUGHCARE_SMTP_STARTTLS", "true", ("true", "false")) == "true",
        public_url=public_url,
    )


def _audit() -> AuditSettings:
    key = _env("THROUGHCARE_AUDIT_KEY")
    if key is not None and len(key) < 32:
        raise SettingsError("THROUGHCARE_AUDIT_KEY must be at least 32 characters long")
    directory = _env("THROUGHCARE_AUDIT_CHECKPOINT_DIR")
    days = _env("THROUGHCARE_AUDIT_RETENTION_DAYS")
    return AuditSettings(
        key=key,
        checkpoint_dir=Path(directory).resolve() if directory else None,
        retention_days=_int("THROUGHCARE_AUDIT_RETENTION_DAYS", 1) if days else None,
    )


def load_settings() -> Settings:
    """Build settings from the environment; raises SettingsError naming the variable."""
    var_dir = Path(_env("THROUGHCARE_VAR_DIR", str(PROJECT_ROOT / "var")) or "var").resolve()
    environment = _choice("THROUGHCARE_ENV", "development", ("development", "test", "production"))
    db_url = _env("THROUGHCARE_DATABASE_URL", f"sqlite+aiosqlite:///{var_dir / 'throughcare.db'}")
    assert db_url is not None
    if not db_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise SettingsError(
            "THROUGHCARE_DATABASE_URL must start with sqlite+aiosqlite:// or "
            f"postgresql+asyncpg://; got {db_url.split('://')[0]!r}"
        )
    redis_url = _env("THROUGHCARE_REDIS_URL")
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://")):
        raise SettingsError("THROUGHCARE_REDIS_URL must start with redis:// or rediss://")
    tenants_dir = Path(_env("THROUGHCARE_TENANTS_DIR", str(PROJECT_ROOT / "tenants")) or "")
    policies_dir = Path(_env("THROUGHCARE_POLICIES_DIR", str(PROJECT_ROOT / "policies")) or "")
    return Settings(
        db=DatabaseSettings(
            url=db_url,
            echo=_env("THROUGHCARE_DATABASE_ECHO", "false") == "true",
            pool_size=_int("THROUGHCARE_DATABASE_POOL_SIZE", 10),
        ),
        redis=RedisSettings(url=redis_url),
        security=SecuritySettings(
            secret_key=_secret_key(var_dir, environment),
            session_idle_minutes=_int("THROUGHCARE_SESSION_IDLE_MINUTES", 30),
            session_absolute_hours=_int("THROUGHCARE_SESSION_ABSOLUTE_HOURS", 10),
            token_days=_int("THROUGHCARE_TOKEN_DAYS", 30),
            login_max_failures=_int("THROUGHCARE_LOGIN_MAX_FAILURES", 5),
            login_lockout_seconds=_int("THROUGHCARE_LOGIN_LOCKOUT_SECONDS", 60),
            login_attempts_per_minute=_int("THROUGHCARE_LOGIN_ATTEMPTS_PER_MINUTE", 20, minimum=1),
            max_body_bytes=_int("THROUGHCARE_MAX_BODY_BYTES", 1_048_576, minimum=1024),
        ),
        server=ServerSettings(
            host=_env("THROUGHCARE_HOST", "127.0.0.1") or "127.0.0.1",
            port=_int("THROUGHCARE_PORT", 8000),
            environment=environment,  # type: ignore[arg-type]
            log_level=_choice(  # type: ignore[arg-type]
                "THROUGHCARE_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            demo_today=_demo_today(environment),
            trusted_proxies=tuple(
                p.strip()
                for p in (_env("THROUGHCARE_TRUSTED_PROXIES") or "").split(",")
                if p.strip()
            ),
            workers=_int("THROUGHCARE_SERVER_WORKERS", 1),
        ),
        paths=PathSettings(var_dir=var_dir, tenants_dir=tenants_dir, policies_dir=policies_dir),
        smtp=_smtp(),
        audit=_audit(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
