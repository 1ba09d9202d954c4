"""Peer mentoring (category ``peer_support``): mentors with lived experience, vetting and
availability; matching a cleared mentor with a person; sessions; and the "met at the
gate" appointment, made on the liberation date and moved with it (Dear Albert, Leicester;
Sacro's mentors, Low Moss).

Everything core needs from this plugin comes through the hooks below; core never imports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core.authz.protocol import plugin_lines
from core.hookspecs import hookimpl
from core.hooktypes import (
    ChecklistSource,
    DemoContext,
    DomainEvent,
    JobRequest,
    NavItem,
    PersonPanel,
    ReportMetric,
)
from plugins.peer_mentoring.checklist import CHECKLIST
from plugins.peer_mentoring.common import CATEGORY
from plugins.peer_mentoring.controllers import PeerMentoringController
from plugins.peer_mentoring.demo import load_demo
from plugins.peer_mentoring.jobs import peer_mentoring_gate_appointment
from plugins.peer_mentoring.metrics import METRICS
from plugins.peer_mentoring.models import MODELS
from plugins.peer_mentoring.pages import page_router
from plugins.peer_mentoring.services import person_panel
from plugins.peer_mentoring.subject_access import subject_access_sections  # noqa: F401 (a hook)

HERE = Path(__file__).resolve().parent
GATE_JOB = peer_mentoring_gate_appointment.__name__


@hookimpl
def register_sharing_categories() -> list[str]:
    return [CATEGORY]


@hookimpl
def register_intervention_kinds() -> dict[str, str]:
    return {"peer_mentoring_session": CATEGORY, "met_at_the_gate": CATEGORY}


@hookimpl
def register_routes() -> list[Any]:
    return [PeerMentoringController, page_router()]


@hookimpl
def register_models() -> list[Any]:
    return list(MODELS)


@hookimpl
def register_migration_locations() -> list[str]:
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def register_jobs() -> list[Any]:
    return [peer_mentoring_gate_appointment]


@hookimpl
def on_domain_event(event: DomainEvent) -> list[JobRequest]:
    if event.name != "liberation_date_set" or event.person_id is None:
        return []
    new = event.data.get("new")
    # The outbox drops a repeated key for good, and a date can move A -> B -> A -> B: so
    # each change gets a key of its own. The job reconciles with the date as it is when
    # it runs, so an extra or a late run changes nothing.
    return [
        JobRequest(
            job=GATE_JOB,
            key=f"gate:{event.person_id}:{new or 'cleared'}:{uuid.uuid4().hex}",
            args={"person_id": str(event.person_id), "liberation_date": new},
        )
    ]


@hookimpl
def register_navigation() -> list[NavItem]:
    return [NavItem(label="Mentoring schedule", path="peer-mentoring/schedule", order=70)]


@hookimpl
def register_person_panels() -> list[PersonPanel]:
    return [
        PersonPanel(
            name="peer_mentoring",
            title="Peer support",
            category=CATEGORY,
            template="peer_mentoring/person_panel.html",
            load=person_panel,
            order=70,
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
