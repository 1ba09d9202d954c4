"""With SMTP set up, an invitation is emailed straight away (never through the outbox, which
would store the link); when sending fails, the lead still gets the link to pass on."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from core.db.engine import make_engine, make_session_factory
from core.jobs.models import OutboxEntry
from core.settings import Settings, SmtpSettings
from tests.conftest import make_settings

LM = "/api/v1/t/low-moss/admin"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    smtp = SmtpSettings(
        host="smtp.example.test", sender="portal@example.org", public_url="https://portal.test"
    )
    return msgspec.structs.replace(make_settings(db_url, tmp_path / "var"), smtp=smtp)


def member(world: Any, username: str) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": "Mail Person",
        "email": "mail.person@example.org",
        "organisation_id": world.org_id("low-moss", "sacro"),
        "roles": ["case_worker"],
    }


async def test_the_invitation_is_emailed_with_the_link(world: Any, monkeypatch: Any) -> None:
    sent: list[EmailMessage] = []
    monkeypatch.setattr("core.notifications.email.send", lambda smtp, message: sent.append(message))
    response = await world.post("lm_lead", f"{LM}/members", member(world, "mail.one"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["emailed"] is True
    assert len(sent) == 1 and sent[0]["To"] == "mail.person@example.org"
    assert f"https://portal.test{created['invitation_url']}" in sent[0].get_content()

    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            rows = (await session.scalars(select(OutboxEntry))).all()
    finally:
        await engine.dispose()
    token = created["invitation_url"].rsplit("/", 1)[1]
    assert all(token not in str(r.__dict__) for r in rows)


async def test_a_failed_email_still_gives_the_lead_the_link(world: Any, monkeypatch: Any) -> None:
    def refuse(smtp: Any, message: Any) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr("core.notifications.email.send", refuse)
    response = await world.post("lm_lead", f"{LM}/members", member(world, "mail.two"))
    assert response.status_code == 201, response.text
    assert response.json()["emailed"] is False
    assert response.json()["invitation_url"].startswith("/t/low-moss/welcome/")
