"""Every hook Throughcare calls. Core's own domains implement them too.

Hooks return data (route handlers, category names, kinds), never side effects, so
that core decides when and for which tenant an answer is used. A test fails when a
hook here has no docstring.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pluggy

from core.hooktypes import (
    ChecklistSource,
    DemoContext,
    DomainEvent,
    JobRequest,
    NavItem,
    PersonPanel,
    ReportMetric,
    Schedule,
)

hookspec = pluggy.HookspecMarker("throughcare")
hookimpl = pluggy.HookimplMarker("throughcare")


@hookspec
def register_routes() -> list[Any]:
    """Called once when the app is built. Return Litestar route handlers or controllers.

    Tenant-scoped routes live under ``/api/v1/t/{tenant}/`` and must depend on
    ``actor`` (see ``core.authz.actor``) so that non-members get 404. All answers are
    concatenated.
    """


@hookspec
def register_sharing_categories() -> list[str]:
    """Called when the category vocabulary is built. Return category names to add.

    Core contributes the eleven categories of the design; a plugin adds its own
    (e.g. a finance-advice partner adding ``finance``). All answers are merged.
    """


@hookspec
def register_intervention_kinds() -> dict[str, str]:
    """Called when intervention kinds are listed. Return ``{kind: sharing category}``.

    The category decides who may read an intervention of that kind. All answers are
    merged; a kind named twice is a start-up error.
    """


@hookspec
def register_jobs() -> list[Any]:
    """Called when the worker starts. Return arq job functions ``async def job(ctx, ...)``.

    ``ctx["session_factory"]`` opens a database session and ``ctx["settings"]`` holds the
    settings. Jobs must be idempotent: arq may run a job more than once. All answers are
    concatenated; two jobs with the same name are a start-up error. A job requested through
    the outbox (``core.jobs.outbox.enqueue``, an event's ``JobRequest``) gets ``tenant_id``
    (a string) and the request's args as keyword arguments; "today" for a job is
    ``core.clock.today()``. A job may carry ``enabled_when(settings) -> bool``: when it
    says no, the job's schedules do not fire (e.g. email without SMTP).
    """


@hookspec
def register_schedules() -> list[Schedule]:
    """Called when the worker (or the in-process scheduler) starts.

    Return :class:`core.hooktypes.Schedule` items naming jobs from ``register_jobs``.
    Each scheduled job is called once per active tenant that has the contributing
    plugin enabled, with ``tenant_id`` as its keyword argument. All answers are
    concatenated.
    """


@hookspec
def on_domain_event(event: DomainEvent) -> list[JobRequest]:
    """Called in the transaction of a change, once per event, for the event's tenant only.

    ``event`` is a :class:`core.hooktypes.DomainEvent` (referral created, liberation
    date set or changed, person released, episode closed, consent withdrawn, drug test
    recorded). Return :class:`core.hooktypes.JobRequest` items: core writes them to the
    outbox in the same transaction, and the worker runs them. Never touch the database
    here; a reaction's effect belongs in its job, which must be idempotent. Only plugins
    enabled for the event's tenant are asked. All answers are concatenated.
    """


@hookspec
def register_navigation() -> list[NavItem]:
    """Called when a page is rendered for a tenant with this plugin enabled.

    Return :class:`core.hooktypes.NavItem` links for the portal's navigation. All
    answers are concatenated and sorted by ``order``.
    """


@hookspec
def register_person_panels() -> list[PersonPanel]:
    """Called when a person's record page is built, for a tenant with this plugin on.

    Return :class:`core.hooktypes.PersonPanel` sections. A panel whose category the
    viewer may not read is replaced by the page's plain "not shared" notice; its
    ``load`` is not called. A panel whose ``load`` raises is shown as unavailable, and
    the rest of the page still renders. All answers are concatenated.
    """


@hookspec
def register_release_checklist() -> list[ChecklistSource]:
    """Called when a person's release checklist is built (pre-liberation planning), for a
    tenant with the plugin on.

    Return :class:`core.hooktypes.ChecklistSource` items: each names the sharing category
    its lines belong to and an ``answer(session, person)`` coroutine returning
    :class:`core.hooktypes.ChecklistItem` lines for that person. A source whose category
    the viewer may not read is never asked; the checklist names it as withheld. A source
    that raises is shown as unavailable and the rest of the checklist still answers. It
    must not write. All answers are concatenated.
    """


@hookspec
def register_report_metrics() -> list[ReportMetric]:
    """Called when a tenant's reports are built. Return :class:`core.hooktypes.ReportMetric`.

    Counts are suppressed below five like every other figure. All answers concatenated.
    """


@hookspec
def register_demo_loaders() -> list[Callable[[DemoContext], Awaitable[None]]]:
    """Called by ``throughcare demo load`` after core's demo data, per tenant with the
    plugin enabled. Return ``async (DemoContext) -> None`` callables that add the
    plugin's demo rows through ``ctx.session`` (core commits). All answers concatenated.
    """


@hookspec
def register_protocol_lines(tenant_slug: str) -> list[str]:
    """Called when a tenant's protocol is seeded from its template.

    Return Casbin policy lines (``p, r:housing_officer, <tenant>, housing, write,
    partnership, no_consent``) for the plugin's categories, with ``tenant_slug`` as the
    domain. Only plugins enabled for the tenant are asked. The lines are validated like
    every protocol line (a bad one fails ``tenants sync``, naming it); keep them to the
    plugin's own categories and services: they are seeded once, and from then on the
    partnership lead owns the protocol. All answers are concatenated.
    """


@hookspec
def register_migration_locations() -> list[str]:
    """Called when Alembic is configured. Return directories of the plugin's own migrations.

    A plugin's migrations form their own Alembic branch (``branch_labels`` = the plugin's
    name, ``depends_on`` the core revision it needs); its tables carry ``tenant_id`` like
    core's. All answers are concatenated.
    """


@hookspec
def register_models() -> list[Any]:
    """Called when the metadata is assembled (Alembic, tests). Return the plugin's model
    classes, declared on ``core.db.base.Base``, so that core's model/migration comparison
    sees them. All answers are concatenated.
    """


@hookspec
def subject_access_sections() -> list[Any]:
    """Called when the partnership lead makes a person's subject-access export, for a
    tenant with the plugin on.

    Return :class:`core.persons.subject_access.SubjectAccessSource` items, one per kind
    of record the plugin holds about a person: a name, the sharing category, and a loader
    ``async (session, tenant_id, person_id) -> list[dict]`` of JSON-able rows.
    ``core.persons.subject_access.model_source(Model, category)`` makes one for a model
    with a ``person_id`` (or hanging from one that has). The export holds everything,
    whatever the lead's own read grants (the controller's duty under UK GDPR), so the
    loader must return every row about the person and must not write. A loader that
    raises fails the export rather than leave the plugin's part out. All answers are
    concatenated.
    """
