"""The two-person rule's pages: changes waiting for a second lead, and the decision.

The lead who asked sees their change waiting; another lead reads what it widens (in
sentences, with the reason), and approves it, which publishes it, or declines it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.approvals import ApprovalService, ProtocolApproval
from core.web import queries
from core.web.context import render
from core.web.forms import FormErrors, form_values
from core.web.protocol.common import (
    PROTOCOL,
    names_for,
    protocol_service,
    sentences_between,
    tell,
)

APPROVALS = f"{PROTOCOL}/approvals"
APPROVAL = f"{APPROVALS}/{{approval_id:uuid}}"
NOTE_MESSAGE = "Enter a note for the record, in at least 3 characters"


@get(APPROVALS, include_in_schema=False)
async def approvals_list(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    service = await protocol_service(db_session, access)
    pending = await ApprovalService(service).pending()
    people = await queries.user_names(db_session, {p.requested_by for p in pending})
    return render(
        request,
        "pages/protocol_approvals.html",
        actor,
        pending=pending,
        names=people,
        tenant_name=await queries.tenant_name(db_session, actor),
    )


async def approval_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    row: ProtocolApproval,
    errors: FormErrors,
    values: dict[str, str],
    asked: bool = False,
) -> Template:
    service = await protocol_service(session, access)
    base = await service.version(row.base_version)
    people = await queries.user_names(
        session, {row.requested_by} | ({row.decided_by} if row.decided_by else set())
    )
    return render(
        request,
        "pages/protocol_approval.html",
        access.actor,
        approval=row,
        names=people,
        changes=sentences_between(base.rules or "", row.rules, await names_for(service)),
        widening=list(row.widening.get("sentences", [])),
        mine=row.requested_by == access.actor.user_id,
        stale=row.decided_at is None and row.base_version != access.policy.version,
        asked=asked,
        errors=errors,
        values=values,
        tenant_name=await queries.tenant_name(session, access.actor),
        status_code=400 if errors else 200,
    )


@get(APPROVAL, include_in_schema=False)
async def approval_detail(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    approval_id: FromPath[uuid.UUID],
    asked: Annotated[str | None, QueryParameter(max_length=2)] = None,
) -> Template:
    service = await protocol_service(db_session, access)
    row = await ApprovalService(service).get(approval_id)
    return await approval_page(
        request, access, db_session, row, FormErrors(), {}, asked=asked == "1"
    )


@post(APPROVAL, include_in_schema=False)
async def approval_decide(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    approval_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    service = await protocol_service(db_session, access)
    approvals = ApprovalService(service)
    values = form_values(await request.form())
    errors = FormErrors()
    decision = values.get("decision")
    note = values.get("note", "")
    if decision not in ("approve", "decline"):
        errors.add("decision", "Choose whether to approve or decline the change")
    if len(note) < 3:
        errors.add("note", NOTE_MESSAGE)
    if not errors:
        try:
            if decision == "approve":
                published = await approvals.approve(approval_id, note[:2000])
                await tell(request, actor.tenant_id, published.version)
                return Redirect(f"/t/{actor.tenant_slug}/protocol?published={published.version}")
            await approvals.decline(approval_id, note[:2000])
            return Redirect(f"/t/{actor.tenant_slug}/protocol/approvals/{approval_id}")
        except HTTPException as exc:
            if exc.status_code not in (409, 422):
                raise
            await db_session.rollback()
            errors.add("decision", str(exc.detail))
    row = await approvals.get(approval_id)
    return await approval_page(request, access, db_session, row, errors, values)


HANDLERS = [approvals_list, approval_detail, approval_decide]
