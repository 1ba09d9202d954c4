"""The matrix is the editor: each role or organisation kind, for each category, chooses
how far it may read and record, and whether consent is needed.

The page shows one category's cells, and the form posts them; a cell not posted keeps
its live setting, and only the cells that differ from the live protocol change its
lines (``core.authz.matrix.apply``), so the draft is the live text with those lines
replaced. The draft then goes through exactly what the expert's text goes through:
preview, validation, the lock-out guard, a reason, a new version, and the two-person
rule past the partnership's threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.matrix import Key, Setting, actions_for, apply, changed, options_for, rules_in
from core.authz.matrix import settings as settings_of
from core.authz.members import Names
from core.authz.services import ProtocolService
from core.authz.wording import category_label
from core.web import queries
from core.web.context import render
from core.web.forms import FormErrors, form_values, rule_errors
from core.web.protocol.common import (
    PROTOCOL,
    PUBLISH_MESSAGES,
    SCOPES_HELP,
    names_for,
    protocol_service,
    publish_or_wait,
    scope_table,
)
from core.web.protocol.matrix_view import field_id, field_name, subjects, tables
from core.web.protocol.rules_editor import impact_context

EDIT = f"{PROTOCOL}/edit"


def read_form(
    form: Mapping[str, str],
    keys: list[Key],
    current: Mapping[Key, Setting],
    errors: FormErrors,
    names: Names,
) -> dict[Key, Setting]:
    """The settings the form asks for; a missing cell keeps its live setting."""
    chosen: dict[Key, Setting] = {}
    for key in keys:
        raw = form.get(field_name(key))
        if raw is None:
            chosen[key] = current.get(key, Setting())
            continue
        setting = Setting.parse(raw)
        if setting is None or setting not in options_for(key[1]):
            errors.add(field_id(key), f"Choose who {names.subject(key[0])} can reach")
            chosen[key] = current.get(key, Setting())
            continue
        chosen[key] = setting
    return chosen


async def editor_page(
    request: Request[Any, Any, Any],
    service: ProtocolService,
    shown: Mapping[Key, Setting],
    values: dict[str, str],
    errors: FormErrors,
    extra: dict[str, Any] | None = None,
) -> Template:
    actor = service.actor
    names = await names_for(service)
    tenant = await service.tenant()
    matrix = await service.matrix()
    # One category a page: a lead decides who sees Health, then Risk, not 300 cells at once.
    category = values.get("category", "")
    if category not in matrix.categories:
        category = matrix.categories[0]
    return render(
        request,
        "pages/protocol_edit.html",
        actor,
        category=category,
        category_links=[(c, category_label(c)) for c in matrix.categories],
        tables=tables([category], subjects(tenant, names, shown), names, shown, editing=True),
        scopes=SCOPES_HELP,
        scope_reach=await scope_table(service, names),
        values=values,
        errors=errors,
        live_version=service.access.policy.version,
        tenant_name=await queries.tenant_name(service.session, actor),
        status_code=400 if errors else 200,
        **(extra or {}),
    )


async def _keys(service: ProtocolService, current: Mapping[Key, Setting]) -> list[Key]:
    tenant = await service.tenant()
    names = await names_for(service)
    matrix = await service.matrix()
    return [
        (subject, category, action)
        for category in matrix.categories
        for subject in subjects(tenant, names, current)
        for action in actions_for(category)
    ]


@get(EDIT, include_in_schema=False)
async def protocol_edit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    category: Annotated[str | None, QueryParameter(max_length=40)] = None,
) -> Template:
    service = await protocol_service(db_session, access)
    current = settings_of(rules_in(access.policy.text))
    values = {"category": category or ""}
    return await editor_page(request, service, current, values, FormErrors())


@post(EDIT, include_in_schema=False)
async def protocol_edit_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    service = await protocol_service(db_session, access)
    values = form_values(await request.form())
    live_text = access.policy.text
    current = settings_of(rules_in(live_text))
    errors = FormErrors()
    names = await names_for(service)
    chosen = read_form(values, await _keys(service, current), current, errors, names)
    changes = {key: chosen[key] for key in changed(current, chosen)}
    draft = apply(live_text, actor.tenant_slug, changes) if changes else live_text
    extra: dict[str, Any] = {"changed": bool(changes)}
    if not errors and values.get("action") == "publish":
        if not changes:
            errors.add("", "Nothing has changed: choose a different setting first")
        elif len(values.get("reason", "")) < 3:
            errors.add("reason", PUBLISH_MESSAGES["reason"])
        else:
            try:
                return await publish_or_wait(request, service, draft, values["reason"])
            except HTTPException as exc:
                if exc.status_code not in (409, 422):
                    raise
                await db_session.rollback()
                rule_errors(exc, errors, "matrix")
                # The service names its text field; on this page the matrix is that field.
                if "rules" in errors:
                    errors.add("matrix", errors.pop("rules"))
    if not errors or "reason" in errors or "matrix" in errors:
        impact = await service.impact(draft)
        extra |= await impact_context(service, draft, impact)
        if impact.preview.problems:
            errors.add("matrix", "; ".join(impact.preview.problems))
    return await editor_page(request, service, chosen, values, errors, extra)


HANDLERS = [protocol_edit, protocol_edit_submit]
