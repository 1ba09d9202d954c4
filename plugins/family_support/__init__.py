"""Family support (category ``family``): family contacts recorded only under the person's
consent, family support sessions, and family days planned as release nears (Leicester).

Everything core needs from this plugin comes through the hooks below; core never imports it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core.authz.protocol import plugin_lines
from core.hookspecs import hookimpl
from core.hooktypes import ChecklistSource, DemoContext, NavItem, PersonPanel, ReportMetric
from plugins.family_support.checklist import CHECKLIST
from plugins.family_support.common import CATEGORY
from plugins.family_support.controllers import FamilySupportController
from plugins.family_support.demo import load_demo
from plugins.family_support.metrics import METRICS
from plugins.family_support.models import MODELS
from plugins.family_support.pages import page_router
from plugins.family_support.services import person_panel
from plugins.family_support.subject_access import subject_access_sections  # noqa: F401 (a hook)

HERE = Path(__file__).resolve().parent


@hookimpl
def register_sharing_categories() -> list[str]:
    return [CATEGORY]


@hookimpl
def register_intervention_kinds() -> dict[str, str]:
    return {"family_support": CATEGORY}


@hookimpl
def register_routes() -> list[Any]:
    return [FamilySupportController, page_router()]


@hookimpl
def register_models() -> list[Any]:
    return list(MODELS)


@hookimpl
def register_migration_locations() -> list[str]:
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def register_navigation() -> list[NavItem]:
    return [NavItem(label="Family days", path="family-support/family-days", order=60)]


@hookimpl
def register_person_panels() -> list[PersonPanel]:
    return [
        PersonPanel(
            name="family_support",
            title="Family",
            category=CATEGORY,
            template="family_support/person_panel.html",
            load=person_panel,
            order=60,
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
