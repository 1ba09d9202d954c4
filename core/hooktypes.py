"""The data that hooks exchange with core. Hooks return these; core decides what to do.

Every type is a msgspec Struct so that what a plugin hands core is checked and can
cross a process boundary (an event's job requests go through the outbox to arq).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import msgspec


class DomainEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Something that happened to a person's case, published in the change's transaction.

    ``name`` is one of :data:`EVENT_NAMES`; ``data`` carries the event's facts (ids as
    strings, dates as ISO strings) and never free-text case notes.
    """

    name: str
    tenant_id: uuid.UUID
    tenant_slug: str
    person_id: uuid.UUID | None = None
    actor_user_id: uuid.UUID | None = None
    data: dict[str, Any] = {}


EVENT_NAMES: tuple[str, ...] = (
    "referral_created",
    "liberation_date_set",  # set, changed or cleared: data has "old" and "new"
    "person_released",
    "episode_closed",
    "consent_withdrawn",
    "drug_test_recorded",  # harm reduction: data has "result"
)


class JobRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A job that an event reaction asks core to run, written to the outbox.

    ``key`` makes the request idempotent: two requests with the same key for the same
    tenant are one job (e.g. ``gate-appointment:<person id>:<liberation date>``).
    """

    job: str
    key: str
    args: dict[str, Any] = {}


class Schedule(msgspec.Struct, frozen=True, kw_only=True):
    """Run ``job`` (a name from ``register_jobs``) once per tenant at these times (UTC).

    Fields follow arq's ``cron``: ``None`` means every value.
    """

    job: str
    hour: int | set[int] | None = None
    minute: int | set[int] | None = 0
    weekday: int | set[int] | None = None
    day: int | set[int] | None = None
    month: int | set[int] | None = None


class NavItem(msgspec.Struct, frozen=True, kw_only=True):
    """A link in the portal's navigation for a tenant; ``path`` is under ``/t/{tenant}/``."""

    label: str
    path: str
    order: int = 100
    # Shown only to members holding one of these roles (empty: every member).
    roles: tuple[str, ...] = ()


class PersonPanel(msgspec.Struct, frozen=True, kw_only=True):
    """A section of the person record page, shown only if ``category`` may be read.

    ``load`` is ``async (session, access, person_id) -> dict`` returning the template
    context for ``template``.
    """

    name: str
    title: str
    category: str
    template: str
    load: Callable[..., Awaitable[dict[str, Any]]]
    order: int = 100


class ChecklistItem(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a person's release checklist, answered for one person."""

    key: str
    label: str
    done: bool
    category: str
    detail: str | None = None
    due: date | None = None


class ChecklistSource(msgspec.Struct, frozen=True, kw_only=True):
    """Where some of a person's release-checklist lines come from.

    ``answer`` is ``async (session, person) -> list[ChecklistItem]``, ``person`` being
    the core ``Person`` row; it is called only for viewers who may read ``category``.
    """

    name: str
    category: str
    answer: Callable[..., Awaitable[list[ChecklistItem]]]


class ReportMetric(msgspec.Struct, frozen=True, kw_only=True):
    """A figure a plugin adds to the partnership's reports.

    ``compute`` is ``async (session, tenant_id, start, end) -> int`` and returns a count
    of people, which the report suppresses like every other count below five.
    """

    key: str
    label: str
    section: str
    compute: Callable[..., Awaitable[int]]


class DemoContext(msgspec.Struct, kw_only=True):
    """What a plugin's demo loader gets: the session, the tenant and a seeded random."""

    session: Any
    tenant_id: uuid.UUID
    tenant_slug: str
    random: Any
    organisations: dict[str, uuid.UUID]
    users: dict[str, uuid.UUID]
    persons: list[uuid.UUID]
