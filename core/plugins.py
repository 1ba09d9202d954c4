"""The plugin manager: core's own domains, the built-in partner plugins, entry points.

Core's domains are essential plugins (always on). Partner services are registered
under a short name (``housing``); a tenant file's ``plugins`` list switches them on
for that partnership, and :func:`tenant_hook` asks only those that are on.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pluggy

from core import hookspecs

ENTRY_POINT_GROUP = "throughcare.plugins"

# Core domains are plugins of the same hooks a third party uses; they cannot be turned off.
ESSENTIAL_PLUGINS: tuple[str, ...] = (
    "core.vocabulary",
    "core.authz.controllers",
    "core.jobs.housekeeping",
    "core.audit.jobs",
    "core.jobs.reminders",
    "core.notifications.controllers",
    "core.notifications.email",
    "core.accounts.controllers",
    "core.accounts.second_factor_api",
    "core.tenancy.controllers",
    "core.administration.plugin",
    "core.persons.controllers",
    "core.persons.checklist",
    "core.referrals.controllers",
    "core.episodes.controllers",
    "core.consents.controllers",
    "core.assessments.controllers",
    "core.plans.controllers",
    "core.interventions.controllers",
    "core.outcomes.controllers",
    "core.treatment.controllers",
    "core.onward_referrals.controllers",
    "core.returns.controllers",
    "core.summaries.controllers",
    "core.meetings.controllers",
    "core.reports.controllers",
    "core.web.pages",
    "core.web.protocol",
    "core.web.reports",
    "core.web.second_factor_pages",
)

# Built-in partner services: {name a tenant file uses: module}. Switchable per tenant.
DEFAULT_PLUGINS: dict[str, str] = {
    "housing": "plugins.housing",
    "family_support": "plugins.family_support",
    "peer_mentoring": "plugins.peer_mentoring",
    "harm_reduction": "plugins.harm_reduction",
}


def build_plugin_manager(extra: tuple[str, ...] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("throughcare")
    pm.add_hookspecs(hookspecs)
    for name in (*ESSENTIAL_PLUGINS, *extra):
        pm.register(importlib.import_module(name), name=name)
    for name, module in DEFAULT_PLUGINS.items():
        pm.register(importlib.import_module(module), name=name)
    # An entry point's name is the name a tenant file uses to switch it on.
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    # A misspelled hook implementation fails here, at start-up, not silently later.
    pm.check_pending()
    return pm


def switchable_plugins(pm: pluggy.PluginManager) -> set[str]:
    """Names of registered plugins a tenant can switch on or off."""
    names = {name for name, _ in pm.list_name_plugin()}
    return names - set(ESSENTIAL_PLUGINS)


def tenant_hook(pm: pluggy.PluginManager, name: str, enabled: Iterable[str]) -> Any:
    """The hook ``name`` asking core and only the plugins this tenant has switched on."""
    on = set(enabled)
    off = [pm.get_plugin(n) for n in switchable_plugins(pm) if n not in on]
    return pm.subset_hook_caller(name, remove_plugins=[p for p in off if p is not None])


def require_plugin(actor: Any, name: str) -> None:
    """404, as for anything absent, when the actor's tenant has not switched ``name`` on."""
    from core.errors import not_found

    if name not in actor.enabled_plugins:
        raise not_found("Page")


def collect(caller: Any, **kwargs: Any) -> list[Any]:
    """Every answer of a hook, each implementation asked on its own.

    One that raises is logged and skipped, so a broken plugin cannot break a core page
    or the demo. ``caller`` is ``pm.hook.<name>`` or a :func:`tenant_hook`. Never use it
    where a missing answer would widen access: call such hooks directly, so that their
    failure stops the caller (fail closed).
    """
    import logging

    answers: list[Any] = []
    # pluggy asks the last registered first; keep its order.
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            answer = impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception:
            logging.getLogger("throughcare.plugins").exception(
                "plugin %r failed in hook %r; its answer is skipped", impl.plugin_name, caller.name
            )
            continue
        if answer is not None:
            answers.append(answer)
    return answers


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    return build_plugin_manager()
