"""The expert's view: the protocol's rule lines as text, previewed and published.

The same preview, validation, lock-out guard and two-person rule as the matrix editor;
the only page besides it where rule syntax appears, and it says so.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.schemas import ProtocolDraft, ProtocolPublish
from core.authz.services import Impact, ProtocolService
from core.web import queries
from core.web.context import render
from core.web.forms import FormErrors, convert, form_values, rule_errors
from core.web.protocol.common import (
    PROTOCOL,
    PUBLISH_MESSAGES,
    names_for,
    protocol_service,
    publish_or_wait,
    reach_rows,
    sentences_between,
)

RULES = f"{PROTOCOL}/rules"


def diff_rows(lines: list[str]) -> list[dict[str, str]]:
    """Unified-diff lines as rows a page can show: added, removed, or the versions compared."""
    rows = []
    for line in lines:
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("+"):
            rows.append({"kind": "added", "sign": "+", "label": "Added", "text": line[1:]})
        elif line.startswith("-"):
            rows.append({"kind": "removed", "sign": "-", "label": "Removed", "text": line[1:]})
    return rows


async def impact_context(service: ProtocolService, draft: str, impact: Impact) -> dict[str, Any]:
    """What both editors show before publishing: counted effects, sentences, reach."""
    names = await names_for(service)
    valid = impact.preview.valid
    return {
        "preview": impact.preview,
        "impact": impact,
        "changes": sentences_between(service.access.policy.text, draft, names) if valid else [],
        "reach": reach_rows(impact, names),
        "threshold_percent": round(impact.threshold * 100),
    }


async def rules_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    session: AsyncSession,
    values: dict[str, str],
    errors: FormErrors,
    live_version: int,
    shown: dict[str, Any] | None = None,
) -> Template:
    shown = shown or {}
    preview = shown.get("preview")
    return render(
        request,
        "pages/protocol_rules.html",
        actor,
        values=values,
        errors=errors,
        live_version=live_version,
        diff=diff_rows(preview.diff) if preview is not None else [],
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
        **shown,
    )


@get(RULES, include_in_schema=False)
async def protocol_rules(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    service = await protocol_service(db_session, access)
    live = await service.live()
    return await rules_page(
        request, actor, db_session, {"rules": live.rules or ""}, FormErrors(), live.version
    )


@post(RULES, include_in_schema=False)
async def protocol_rules_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    service = await protocol_service(db_session, access)
    form = await request.form()
    values = form_values(form)
    # The rules keep their layout (comments, blank lines): only the reason is trimmed.
    raw_rules = form.get("rules")
    values["rules"] = raw_rules if isinstance(raw_rules, str) else ""
    errors = FormErrors()
    shown: dict[str, Any] = {}
    if values.get("action") == "publish":
        data = convert(
            {"rules": values["rules"], "reason": values.get("reason", "")},
            ProtocolPublish,
            errors,
            PUBLISH_MESSAGES,
        )
        if data is not None:
            try:
                return await publish_or_wait(request, service, data.rules, data.reason)
            except HTTPException as exc:
                if exc.status_code not in (409, 422):
                    raise
                await db_session.rollback()
                rule_errors(exc, errors, "rules")
    else:
        draft = convert({"rules": values["rules"]}, ProtocolDraft, errors, PUBLISH_MESSAGES)
        if draft is not None:
            impact = await service.impact(draft.rules)
            shown = await impact_context(service, draft.rules, impact)
            if impact.preview.problems:
                # Each problem names its line; all of them, beside the rules they are about.
                errors.add("rules", "; ".join(impact.preview.problems))
    return await rules_page(
        request, actor, db_session, values, errors, access.policy.version, shown
    )


HANDLERS = [protocol_rules, protocol_rules_submit]
