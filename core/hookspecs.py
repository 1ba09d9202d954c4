"""Every hook Throughcare calls. Core's own domains implement them too.

Hooks return data (route handlers, category names, kinds), never side effects, so
that core decides when and for which tenant an answer is used. A test fails when a
hook here has no docstring.
"""

from __future__ import annotations

from typing import Any

import pluggy

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
    concatenated; two jobs with the same name are a start-up error.
    """
