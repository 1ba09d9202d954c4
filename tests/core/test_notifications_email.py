"""Task emails through a real SMTP server on loopback (aiosmtpd): one plain message per user
with new tasks, no case detail in it, not sent twice; and the SMTP settings' checks."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import msgspec
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts.models import User
from core.db.base import utcnow
from core.db.engine import make_engine, make_session_factory
from core.notifications.email import SUBJECT, email_new_tasks
from core.notifications.models import Notification
from core.notifications.services import notify
from core.settings import SettingsError, SmtpSettings, load_settings

SECRET_TITLE = "Comprehensive assessment overdue"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (b"tc", b"pw")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,  # loopback only, in a test: no certificate to offer
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def factory(world) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(world.settings.db)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


async def give_emails(factory, world, **emails: str) -> None:
    async with factory() as session:
        for username, email in emails.items():
            await session.execute(
                update(User).where(User.id == world.users[username].id).values(email=email)
            )
        await session.commit()


async def add_tasks(factory, world, username: str, *keys: str) -> None:
    async with factory() as session:
        for key in keys:
            await notify(
                session,
                world.tenants["low-moss"].id,
                [world.users[username].id],
                kind="assessment_overdue",
                title=SECRET_TITLE,
                link="/t/low-moss/persons/x",
                key=key,
            )
        await session.commit()


def ctx_for(world, factory, port: int, **smtp: Any) -> dict[str, Any]:
    settings = msgspec.structs.replace(
        world.settings,
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=port,
            sender="throughcare@example.org",
            starttls=False,
            public_url="https://portal.example.org",
            **smtp,
        ),
    )
    return {"settings": settings, "session_factory": factory}


async def test_one_plain_email_per_user_with_new_tasks_and_never_twice(world, factory, smtp_server):
    inbox, port = smtp_server
    await give_emails(factory, world, lm_worker="worker@example.org", lm_lead="lead@example.org")
    await add_tasks(factory, world, "lm_worker", "a", "b", "c")
    await add_tasks(factory, world, "lm_sacro", "d")  # no email address: portal only
    ctx = ctx_for(world, factory, port, username="tc", password="pw")

    assert await email_new_tasks(ctx, str(world.tenants["low-moss"].id)) == 1
    assert await email_new_tasks(ctx, str(world.tenants["low-moss"].id)) == 0

    [message] = inbox.messages
    assert inbox.envelopes[0].rcpt_tos == ["worker@example.org"]
    assert message["Subject"] == SUBJECT
    body = message.get_payload(decode=True).decode().replace("\r\n", "\n")  # SMTP line ends
    assert body == f"{SUBJECT}.\n\nhttps://portal.example.org/t/low-moss/caseload\n"
    assert SECRET_TITLE not in message.as_string() and "persons" not in message.as_string()

    # A new task later is a new email; a done or old task is not.
    await add_tasks(factory, world, "lm_worker", "e")
    await add_tasks(factory, world, "lm_lead", "old")
    async with factory() as session:
        await session.execute(
            update(Notification)
            .where(Notification.key == "old")
            .values(created_at=utcnow() - timedelta(days=2))
        )
        await session.commit()
    assert await email_new_tasks(ctx, str(world.tenants["low-moss"].id)) == 1
    assert [e.rcpt_tos for e in inbox.envelopes] == [["worker@example.org"]] * 2
    async with factory() as session:
        emailed = (
            await session.scalars(
                select(Notification.key).where(Notification.emailed_at.is_not(None))
            )
        ).all()
    assert sorted(emailed) == ["a", "b", "c", "e"]


async def test_a_refused_sign_in_sends_nothing_and_marks_nothing(world, factory, smtp_server):
    inbox, port = smtp_server
    await give_emails(factory, world, lm_worker="worker@example.org")
    await add_tasks(factory, world, "lm_worker", "a")
    ctx = ctx_for(world, factory, port, username="tc", password="wrong")
    with pytest.raises(Exception, match=r"535|[Aa]uthentication"):
        await email_new_tasks(ctx, str(world.tenants["low-moss"].id))
    assert inbox.messages == []
    async with factory() as session:
        assert (await session.scalars(select(Notification.emailed_at))).all() == [None]


async def test_without_smtp_the_job_does_nothing(world, factory):
    await give_emails(factory, world, lm_worker="worker@example.org")
    await add_tasks(factory, world, "lm_worker", "a")
    ctx = {"settings": world.settings, "session_factory": factory}
    assert await email_new_tasks(ctx, str(world.tenants["low-moss"].id)) == 0


# --- settings ----------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch, tmp_path) -> Any:
    for name in ("HOST", "PORT", "FROM", "USERNAME", "PASSWORD", "STARTTLS"):
        monkeypatch.delenv(f"THROUGHCARE_SMTP_{name}", raising=False)
    monkeypatch.delenv("THROUGHCARE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("THROUGHCARE_VAR_DIR", str(tmp_path))
    return monkeypatch


def test_smtp_settings_from_the_environment(env):
    assert load_settings().smtp == SmtpSettings()
    env.setenv("THROUGHCARE_SMTP_HOST", "smtp.example.org")
    env.setenv("THROUGHCARE_SMTP_FROM", "tc@example.org")
    env.setenv("THROUGHCARE_SMTP_PORT", "2525")
    env.setenv("THROUGHCARE_SMTP_STARTTLS", "false")
    env.setenv("THROUGHCARE_PUBLIC_URL", "https://tc.example.org/")
    smtp = load_settings().smtp
    assert (smtp.host, smtp.port, smtp.sender, smtp.starttls, smtp.public_url) == (
        "smtp.example.org",
        2525,
        "tc@example.org",
        False,
        "https://tc.example.org",
    )


SMTP = {"THROUGHCARE_SMTP_HOST": "smtp.example.org", "THROUGHCARE_SMTP_FROM": "tc@example.org"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"THROUGHCARE_SMTP_HOST": "smtp"}, "THROUGHCARE_SMTP_FROM must be an email address"),
        (
            {**SMTP, "THROUGHCARE_SMTP_USERNAME": "u"},
            "THROUGHCARE_SMTP_USERNAME and THROUGHCARE_SMTP_PASSWORD",
        ),
        (
            {**SMTP, "THROUGHCARE_SMTP_STARTTLS": "yes"},
            "THROUGHCARE_SMTP_STARTTLS must be one of true, false",
        ),
        ({**SMTP, "THROUGHCARE_SMTP_PORT": "x"}, "THROUGHCARE_SMTP_PORT must be a whole number"),
        ({"THROUGHCARE_PUBLIC_URL": "tc.example.org"}, "THROUGHCARE_PUBLIC_URL must start with"),
    ],
)
def test_bad_smtp_settings_name_the_variable(env, variables, message):
    for name, value in variables.items():
        env.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_the_email_schedule_fires_only_with_smtp(settings):
    from core.jobs.worker import collect_schedules
    from core.plugins import get_plugin_manager

    def scheduled(s: Any) -> set[str]:
        return {schedule.job for _, schedule in collect_schedules(get_plugin_manager(), s)}

    assert "email_new_tasks" not in scheduled(settings)
    with_smtp = msgspec.structs.replace(settings, smtp=SmtpSettings(host="h", sender="a@b"))
    assert "email_new_tasks" in scheduled(with_smtp)
    assert "remind_liberation" in scheduled(settings)
