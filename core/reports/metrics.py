"""Figures plugins contribute through ``register_report_metrics``; one that fails is shown
as unavailable and never fails the report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pluggy
from sqlalchemy.ext.asyncio import AsyncSession

from core.hooktypes import ReportMetric
from core.plugins import tenant_hook
from core.reports.figures import Figures
from core.reports.queries import Scope
from core.reports.schemas import PluginMetric
from core.reports.suppression import Figure

log = logging.getLogger("throughcare.reports")


async def plugin_metrics(
    session: AsyncSession,
    pm: pluggy.PluginManager,
    enabled: Sequence[str],
    scope: Scope,
    figures: Figures,
) -> list[PluginMetric]:
    """Figures from the tenant's enabled plugins. A plugin that fails (in the hook or in a
    metric's ``compute``) is shown as unavailable; the report itself never fails for it."""
    caller = tenant_hook(pm, "register_report_metrics", enabled)
    out: list[PluginMetric] = []
    for impl in caller.get_hookimpls():
        try:
            metrics: list[ReportMetric] = list(impl.function() or [])
        except Exception:
            log.exception("plugin %s failed to list its report metrics", impl.plugin_name)
            continue
        for metric in metrics:
            value: Figure | None
            try:
                # A savepoint: a failing metric's SQL must not poison the report's session.
                async with session.begin_nested():
                    raw = int(
                        await metric.compute(session, scope.tenant_id, scope.start, scope.end)
                    )
                if raw < 0:
                    raise ValueError("a count cannot be negative")
                value, available = figures.single(raw), True
            except Exception:
                log.exception("report metric %s of %s failed", metric.key, impl.plugin_name)
                value, available = None, False
            out.append(
                PluginMetric(
                    key=metric.key,
                    label=metric.label,
                    section=metric.section,
                    plugin=impl.plugin_name,
                    value=value,
                    available=available,
                )
            )
    return out
