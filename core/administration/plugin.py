"""Administration as a core plugin: its API, its pages, its link and its job."""

from __future__ import annotations

from typing import Any

from core.administration import controllers, jobs, models, pages
from core.hookspecs import hookimpl
from core.hooktypes import NavItem, Schedule


@hookimpl
def register_routes() -> list[Any]:
    return [
        controllers.OrganisationAdminController,
        controllers.MemberAdminController,
        pages.page_router(),
    ]


@hookimpl
def register_navigation() -> list[NavItem]:
    return [NavItem(label="Administration", path="admin", order=85, roles=("partnership_lead",))]


@hookimpl
def register_models() -> list[Any]:
    return [models.Invitation, models.OrganisationDeactivation, models.ScheduledDeactivation]


@hookimpl
def register_jobs() -> list[Any]:
    return [jobs.end_scheduled_memberships]


@hookimpl
def register_schedules() -> list[Schedule]:
    # Hourly: a membership set to end on a date ends in the first hour of that (UK) day.
    return [Schedule(job="end_scheduled_memberships", minute=10)]
