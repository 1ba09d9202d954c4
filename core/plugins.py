"""The plugin manager: core's own domains, the built-in partner plugins, entry points."""

from __future__ import annotations

import importlib
from functools import lru_cache

import pluggy

from core import hookspecs

ENTRY_POINT_GROUP = "throughcare.plugins"

# Core domains are plugins of the same hooks a third party uses; they cannot be turned off.
ESSENTIAL_PLUGINS: tuple[str, ...] = (
    "core.vocabulary",
    "core.jobs.housekeeping",
    "core.accounts.controllers",
    "core.tenancy.controllers",
    "core.persons.controllers",
    "core.referrals.controllers",
    "core.episodes.controllers",
    "core.consents.controllers",
    "core.assessments.controllers",
    "core.plans.controllers",
    "core.interventions.controllers",
    "core.outcomes.controllers",
    "core.meetings.controllers",
)


def build_plugin_manager(extra: tuple[str, ...] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("throughcare")
    pm.add_hookspecs(hookspecs)
    for name in (*ESSENTIAL_PLUGINS, *extra):
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    # A misspelled hook implementation fails here, at start-up, not silently later.
    pm.check_pending()
    return pm


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    return build_plugin_manager()
