"""Harm reduction (categories ``substance_use`` and ``health``): drug tests, where a
positive result refers the person automatically with an appointment offered and a
declined offer is recorded (the service specification); naloxone training and kits; and
the overdose-risk flag for the first two weeks after release (HMP Perth's harm reduction
pack; Leicester).

Everything core needs from this plugin comes through the hooks below; core never imports it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core.authz.protocol import plugin_lines
from core.hookspecs import hookimpl
from core.hooktypes import ChecklistSource, DemoContext, NavItem, PersonPanel, ReportMetric
from plugins.harm_reduction.checklist import CHECKLIST
from plugins.harm_reduction.common import HEALTH, SUBSTANCE_USE
from plugins.harm_reduction.controllers import HarmReductionController
from plugins.harm_reduction.demo import load_demo
from plugins.harm_reduction.metrics import METRICS
from plugins.harm_reduction.models import MODELS
from plugins.harm_reduction.pages import page_router
from plugins.harm_reduction.services import person_panel
from plugins.harm_reduction.subject_access import subject_access_sections  # noqa: F401 (a hook)

HERE = Path(__file__).resolve().parent


@hookimpl
def register_sharing_categories() -> list[str]:
    return [SUBSTANCE_USE, HEALTH]


@hookimpl
def register_intervention_kinds() -> dict[str, str]:
    return {
        "naloxone_training": HEALTH,
        "naloxone_supply": HEALTH,
        "harm_reduction_advice": SUBSTANCE_USE,
        "drug_test_follow_up": SUBSTANCE_USE,
    }


@hookimpl
def register_routes() -> list[Any]:
    return [HarmReductionController, page_router()]


@hookimpl
def register_models() -> list[Any]:
    return list(MODELS)


@hookimpl
def register_migration_locations() -> list[str]:
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def register_navigation() -> list[NavItem]:
    return [NavItem(label="Overdose risk", path="harm-reduction/overdose-risk", order=80)]


@hookimpl
def register_person_panels() -> list[PersonPanel]:
    return [
        PersonPanel(
            name="harm_reduction",
            title="Harm reduction",
            category=HEALTH,
            template="harm_reduction/person_panel.html",
            load=person_panel,
            order=80,
        )
    ]


@hookimpl
def register_protocol_lines(tenant_slug: str) -> list[str]:
    # protocol.csv says why each line is there.
    return plugin_lines(HERE / "protocol.csv", tenant_slug)


@hookimpl
def register_report_metrics() -> list[ReportMetric]:
    return list(METRICS)


@hookimpl
def register_demo_loaders() -> list[Callable[[DemoContext], Awaitable[None]]]:
    return [load_demo]


@hookimpl
def register_release_checklist() -> list[ChecklistSource]:
    return [CHECKLIST]
