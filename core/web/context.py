"""What every page gets: the actor, the navigation from the plugin hooks, and error pages."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from core import clock
from core.accounts.second_factor import SecondFactorRequired
from core.authz.actor import Actor
from core.hooktypes import NavItem
from core.plugins import tenant_hook
from core.request_id import current_request_id

log = logging.getLogger("throughcare")

SESSION_COOKIE = "throughcare_session"


def navigation(request: Request[Any, Any, Any], actor: Actor) -> list[dict[str, Any]]:
    """Core's and the enabled plugins' links, filtered by role, in ``order``."""
    pm = request.app.state.plugin_manager
    hook = tenant_hook(pm, "register_navigation", actor.enabled_plugins)
    items: list[NavItem] = [item for answer in hook() for item in answer]
    visible = [i for i in items if not i.roles or actor.has_role(*i.roles)]
    current = request.url.path
    out = []
    for item in sorted(visible, key=lambda i: (i.order, i.label)):
        href = f"/t/{actor.tenant_slug}/{item.path.lstrip('/')}"
        out.append({"label": item.label, "href": href, "active": current.startswith(href)})
    return out


def render(
    request: Request[Any, Any, Any],
    template: str,
    actor: Actor | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    base: dict[str, Any] = {
        "actor": actor,
        "nav": navigation(request, actor) if actor else [],
        # For the "Printed by ... on ..." line on paper; the partnership clock, so a demo
        # moved to another day prints the day its pages show.
        "printed_at": clock.now(),
    }
    if actor is not None:
        # The partnership's name for the header. Pages that looked it up share it, so a
        # plugin's page (which has no reason to query it) still shows the name, not the slug.
        names: dict[Any, str] = request.app.state.setdefault("tenant_names", {})
        if context.get("tenant_name"):
            names[actor.tenant_id] = context["tenant_name"]
        base["tenant_name"] = names.get(actor.tenant_id)
        base["session_idle_seconds"] = request.app.state.settings.security.session_idle_minutes * 60
    return Template(template_name=template, context=base | context, status_code=status_code)


def csrf_input(request: Request[Any, Any, Any]) -> Markup:
    """The hidden CSRF field, for templates rendered outside the response (person panels)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    if not token or token is Empty:
        return Markup("")
    return Markup('<input type="hidden" name="_csrf_token" value="{}">').format(token)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def sign_in_redirect(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """Pages send people to sign in, then back; a session cookie that no longer works
    means the session ran out, which the sign-in page says."""
    target = request.url.path
    if request.url.query:
        target += f"?{request.url.query}"
    # Litestar marks an ended session with the cookie value "null".
    had_session = request.cookies.get(SESSION_COOKIE) not in (None, "", "null")
    expired = "&expired=1" if had_session else ""
    url = f"/sign-in?next={quote(target, safe='/')}{expired}"
    if is_htmx(request):
        return Response(b"", status_code=204, headers={"HX-Redirect": url})
    response = Redirect(url)
    response.delete_cookie(SESSION_COOKIE)
    return response


TITLES = {
    400: "There is a problem with the request",
    403: "You do not have permission to see this",
    404: "Page not found",
    405: "Page not found",
    413: "The file or form was too large",
    429: "Too many requests",
}


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A plain GOV.UK error page; internals go to the log, never to the page."""
    if isinstance(exc, NotAuthorizedException):
        return sign_in_redirect(request, exc)
    stale_form = False
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        status = exc.status_code
        detail = exc.detail if status == 403 else None
        # Litestar's CSRF check: usually a form left open across a sign-out or restart.
        stale_form = status == 403 and str(exc.detail).startswith("CSRF")
        if stale_form:
            detail = None
    else:
        status = HTTP_500_INTERNAL_SERVER_ERROR
        detail = None
        log.exception(
            "unhandled error on page %s %s [request %s]",
            request.method,
            request.url.path,
            current_request_id(),
            exc_info=exc,
        )
    return Template(
        template_name="pages/error.html",
        context={
            "actor": None,
            "nav": [],
            "status": status,
            "title": "Sorry, this form has expired"
            if stale_form
            else TITLES.get(status, "Sorry, there is a problem with the service"),
            "stale_form": stale_form,
            "detail": detail,
            "request_id": current_request_id() if status >= 500 else None,
        },
        status_code=status,
    )


def second_factor_redirect(
    request: Request[Any, Any, Any], exc: SecondFactorRequired
) -> Response[Any]:
    """A partnership that requires the second factor: set it up, or sign in with it."""
    target = request.url.path
    if request.url.query:
        target += f"?{request.url.query}"
    where = "/sign-in?next=" if exc.enrolled else "/second-factor?required=true&next="
    url = where + quote(target, safe="/")
    if is_htmx(request):
        return Response(b"", status_code=204, headers={"HX-Redirect": url})
    return Redirect(url)


PAGE_EXCEPTION_HANDLERS: dict[Any, Any] = {
    NotAuthorizedException: sign_in_redirect,
    SecondFactorRequired: second_factor_redirect,
    HTTPException: error_page,
    HTTP_500_INTERNAL_SERVER_ERROR: error_page,
    Exception: error_page,
}
