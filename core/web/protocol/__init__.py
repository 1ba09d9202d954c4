"""The partnership lead's pages: the sharing protocol and the break-glass review queue.

``/t/{tenant}/protocol`` shows the live version as a matrix in the partnership's own
words; ``/edit`` is the matrix editor and ``/rules`` the expert's text view, both
previewing the counted effect and the reach per organisation before publishing with a
reason; ``/approvals`` holds the changes that wait for a second lead; ``/versions`` and
``/diff`` show the history as sentences; ``/explain`` says why a member can or cannot
see a part of a record. ``/t/{tenant}/break-glass`` is the lead's review queue.

Every lead page goes through :class:`ProtocolService` (``protocol, manage``, audited);
a member without it gets the plain 403 page.
"""

from __future__ import annotations

from typing import Any

from litestar import Router

from core.authz.approvals import ProtocolApproval
from core.hookspecs import hookimpl
from core.hooktypes import NavItem
from core.web.context import PAGE_EXCEPTION_HANDLERS
from core.web.protocol import approvals, break_glass, matrix_editor, pages, rules_editor

NAVIGATION: tuple[NavItem, ...] = (
    NavItem(label="Sharing protocol", path="protocol", order=80, roles=("partnership_lead",)),
    NavItem(label="Break-glass reviews", path="break-glass", order=90, roles=("partnership_lead",)),
)

HANDLERS = [
    *pages.HANDLERS,
    *matrix_editor.HANDLERS,
    *rules_editor.HANDLERS,
    *approvals.HANDLERS,
    *break_glass.HANDLERS,
]


@hookimpl
def register_routes() -> list[Any]:
    return [
        Router(
            path="/",
            route_handlers=HANDLERS,
            exception_handlers=PAGE_EXCEPTION_HANDLERS,
            include_in_schema=False,
        )
    ]


@hookimpl
def register_navigation() -> list[NavItem]:
    return list(NAVIGATION)


@hookimpl
def register_models() -> list[Any]:
    # The second lead's approvals table (migration 0014) joins core's metadata here.
    return [ProtocolApproval]
