"""Optional task emails: "You have a new task in Throughcare", a link, and nothing else.

Email leaves the partnership's systems, so it never carries a name, a date, a title or any
other case detail: the task itself is read in the portal, behind sign-in and the sharing
protocol. One email per user per run, however many tasks are new. Without
``THROUGHCARE_SMTP_HOST`` the job does nothing.

A user is emailed at least once per new task batch: the tasks are marked in the same
transaction that is committed after the message is accepted, so a crash between the two can
send a second identical email, never lose one.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update

from core.accounts.models import Membership, User
from core.db.base import utcnow
from core.hookspecs import hookimpl
from core.hooktypes import Schedule
from core.notifications.models import Notification
from core.settings import Settings, SmtpSettings
from core.tenancy.models import Tenant

SUBJECT = "You have a new task in Throughcare"
# Tasks older than this are not emailed: switching SMTP on does not mail the backlog.
EMAIL_WINDOW = timedelta(days=1)
# The page the link opens; the portal shows the user's work for that partnership there.
LANDING_PAGE = "/t/{tenant}/caseload"


def message_for(smtp: SmtpSettings, to: str, tenant_slug: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = smtp.sender or ""
    message["To"] = to
    link = smtp.public_url + LANDING_PAGE.format(tenant=tenant_slug)
    message.set_content(f"{SUBJECT}.\n\n{link}\n")
    return message


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Blocking: run it in a thread."""
    assert smtp.host is not None
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username is not None and smtp.password is not None:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


async def email_new_tasks(ctx: dict[str, Any], tenant_id: str) -> int:
    """Email each active member with an address who has new, open, un-emailed tasks.
    Returns how many emails were sent."""
    smtp: SmtpSettings = ctx["settings"].smtp
    if smtp.host is None:
        return 0
    tid = uuid.UUID(tenant_id)
    sent = 0
    async with ctx["session_factory"]() as session:
        tenant = await session.get(Tenant, tid)
        if tenant is None or not tenant.is_active:
            return 0
        recipients = (
            await session.execute(
                select(User.id, User.email)
                .join(Notification, Notification.user_id == User.id)
                .join(
                    Membership,
                    (Membership.tenant_id == Notification.tenant_id)
                    & (Membership.user_id == User.id),
                )
                .where(
                    Notification.tenant_id == tid,
                    Notification.emailed_at.is_(None),
                    Notification.done_at.is_(None),
                    Notification.created_at > utcnow() - EMAIL_WINDOW,
                    User.email.is_not(None),
                    User.is_active.is_(True),
                    Membership.is_active.is_(True),
                )
                .distinct()
            )
        ).all()
        for user_id, email in recipients:
            await session.execute(
                update(Notification)
                .where(
                    Notification.tenant_id == tid,
                    Notification.user_id == user_id,
                    Notification.emailed_at.is_(None),
                )
                .values(emailed_at=utcnow())
            )
            await asyncio.to_thread(send, smtp, message_for(smtp, email, tenant.slug))
            await session.commit()
            sent += 1
    return sent


@hookimpl
def register_jobs() -> list[Any]:
    return [email_new_tasks]


def smtp_configured(settings: Settings) -> bool:
    return settings.smtp.host is not None


# Without SMTP the schedule is left out: no outbox rows every five minutes to do nothing.
email_new_tasks.enabled_when = smtp_configured  # type: ignore[attr-defined]


@hookimpl
def register_schedules() -> list[Schedule]:
    # Every five minutes, after the hourly reminders (minute 5) have written their tasks.
    return [Schedule(job="email_new_tasks", minute=set(range(1, 60, 5)))]
