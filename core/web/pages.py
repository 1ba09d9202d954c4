"""The portal's pages as a core plugin: routes and core's own navigation links.

Page routes sit outside ``/api/`` and use the session cookie; every form is CSRF
checked (see :mod:`core.web.plugin`). A failure on a page becomes a GOV.UK error page
or, when the session is missing or has run out, a redirect to sign in.
"""

from __future__ import annotations

from typing import Any

from litestar import Router

from core.hookspecs import hookimpl
from core.hooktypes import NavItem
from core.web import (
    access_history_pages,
    auth_pages,
    caseload,
    episode_forms,
    meeting,
    record,
    tasks,
)
from core.web.context import PAGE_EXCEPTION_HANDLERS

# Core's links. The lead's sharing-protocol (order 80) and break-glass review (order 90)
# pages add theirs through the same hook; plugins use 100 and up.
CORE_NAVIGATION: tuple[NavItem, ...] = (
    NavItem(label="Caseload", path="caseload", order=10),
    NavItem(label="Daily meeting", path="meeting", order=20),
    NavItem(label="My tasks", path="tasks", order=30),
)


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            auth_pages.sign_in_page,
            auth_pages.sign_in,
            auth_pages.sign_out,
            auth_pages.signed_out,
            auth_pages.home,
            auth_pages.keep_alive,
            auth_pages.session_refresh,
            caseload.caseload_page,
            *record.HANDLERS,
            *episode_forms.HANDLERS,
            *meeting.HANDLERS,
            *tasks.HANDLERS,
            *access_history_pages.HANDLERS,
        ],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


@hookimpl
def register_routes() -> list[Any]:
    return [page_router()]


@hookimpl
def register_navigation() -> list[NavItem]:
    return list(CORE_NAVIGATION)
