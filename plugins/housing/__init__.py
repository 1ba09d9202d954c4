"""Housing: the housing sub-group's registrations ahead of each liberation (Low Moss).

For each person heading for liberation: the local authority, short housing needs, and a
registration pipeline with dates and who acted; a board of everyone due out in the next
weeks, flagged red/amber/green. Switched on per partnership (``plugins = ["housing"]``).
Only talks to core through these hooks and core's public services.
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
from plugins.housing.checklist import CHECKLIST
from plugins.housing.controllers import HousingController
from plugins.housing.demo import load_housing_demo
from plugins.housing.jobs import ensure_housing_record
from plugins.housing.models import HousingRecord, HousingStep, Status
from plugins.housing.pages import page_router
from plugins.housing.records import count_reaching
from plugins.housing.rules import CATEGORY
from plugins.housing.services import HousingService
from plugins.housing.subject_access import subject_access_sections  # noqa: F401 (a hook)

HERE = Path(__file__).resolve().parent


@hookimpl
def register_routes() -> list[Any]:
    return [HousingController, page_router()]


@hookimpl
def register_sharing_categories() -> list[str]:
    return [CATEGORY]


@hookimpl
def register_models() -> list[Any]:
    return [HousingRecord, HousingStep]


@hookimpl
def register_migration_locations() -> list[str]:
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def register_jobs() -> list[Any]:
    return [ensure_housing_record]


@hookimpl
def on_domain_event(event: DomainEvent) -> list[JobRequest]:
    # A person with a liberation date belongs on the board; a cleared date changes nothing.
    if event.name != "liberation_date_set" or event.person_id is None:
        return []
    new = event.data.get("new")
    if not new:
        return []
    return [
        JobRequest(
            job="ensure_housing_record",
            key=f"housing-record:{event.person_id}:{new}",
            # The outbox adds tenant_id: a job only ever acts for the event's tenant.
            args={
                "person_id": str(event.person_id),
                "actor_user_id": str(event.actor_user_id) if event.actor_user_id else None,
            },
        )
    ]


@hookimpl
def register_navigation() -> list[NavItem]:
    return [NavItem(label="Housing board", path="housing/board", order=60)]


async def load_panel(session: Any, access: Any, person_id: uuid.UUID) -> dict[str, Any]:
    return {"housing": await HousingService(session, access).panel(person_id)}


@hookimpl
def register_person_panels() -> list[PersonPanel]:
    return [
        PersonPanel(
            name="housing",
            title="Housing",
            category=CATEGORY,
            template="housing/panel.html",
            load=load_panel,
            order=60,
        )
    ]


async def secured_count(session: Any, tenant_id: uuid.UUID, start: Any, end: Any) -> int:
    return await count_reaching(session, tenant_id, Status.ACCOMMODATION_SECURED, start, end)


async def no_fixed_abode_count(session: Any, tenant_id: uuid.UUID, start: Any, end: Any) -> int:
    return await count_reaching(session, tenant_id, Status.NO_FIXED_ABODE, start, end)


@hookimpl
def register_report_metrics() -> list[ReportMetric]:
    return [
        ReportMetric(
            key="housing_secured",
            label="People whose accommodation was secured",
            section="Housing",
            compute=secured_count,
        ),
        ReportMetric(
            key="housing_no_fixed_abode",
            label="People liberated with no fixed abode",
            section="Housing",
            compute=no_fixed_abode_count,
        ),
    ]


@hookimpl
def register_protocol_lines(tenant_slug: str) -> list[str]:
    # protocol.csv says why each line is there.
    return plugin_lines(HERE / "protocol.csv", tenant_slug)


@hookimpl
def register_demo_loaders() -> list[Callable[[DemoContext], Awaitable[None]]]:
    return [load_housing_demo]


@hookimpl
def register_release_checklist() -> list[ChecklistSource]:
    return [CHECKLIST]
