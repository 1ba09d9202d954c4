"""The lead's read-only protocol pages: the live matrix, version history, the changes
between versions as sentences, and why a member can or cannot see something."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.approvals import ApprovalService
from core.authz.matrix import rules_in, settings
from core.authz.protocol import ACTIONS
from core.authz.wording import rule_words
from core.persons.models import Person
from core.web import queries
from core.web.context import render
from core.web.filters import humanise
from core.web.forms import FormErrors
from core.web.protocol.common import (
    PROTOCOL,
    SCOPES_HELP,
    names_for,
    protocol_service,
    scope_table,
    sentences_between,
)
from core.web.protocol.matrix_view import subjects, tables

# How a member stands to a person, as the explain page says it.
RELATION_WORDS = {
    "assigned": "They are assigned to this person",
    "own_organisation": "Their organisation works with this person",
    "partnership": "No closer link than being in the same partnership",
}


@get(PROTOCOL, include_in_schema=False)
async def protocol_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    published: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Template:
    service = await protocol_service(db_session, access)
    live = await service.live()
    matrix = await service.matrix()
    names = await names_for(service)
    current = settings(rules_in(live.rules or ""))
    tenant = await service.tenant()
    creator = {live.created_by} if live.created_by else set()
    authors = await queries.user_names(db_session, creator)
    return render(
        request,
        "pages/protocol.html",
        actor,
        live=live,
        author=authors.get(live.created_by) if live.created_by else None,
        tables=tables(
            matrix.categories, subjects(tenant, names, current), names, current, editing=False
        ),
        scopes=SCOPES_HELP,
        scope_reach=await scope_table(service, names),
        waiting=len(await ApprovalService(service).pending()),
        # Only the version just published is announced: an old link says nothing.
        published=published if published == live.version else None,
        tenant_name=await queries.tenant_name(db_session, actor),
    )


@get(f"{PROTOCOL}/versions", include_in_schema=False)
async def protocol_versions(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    service = await protocol_service(db_session, access)
    versions = await service.versions()
    names = await queries.user_names(db_session, {v.created_by for v in versions if v.created_by})
    return render(
        request,
        "pages/protocol_versions.html",
        actor,
        versions=versions,
        names=names,
        live_version=access.policy.version,
        tenant_name=await queries.tenant_name(db_session, actor),
    )


@get(f"{PROTOCOL}/diff", include_in_schema=False)
async def protocol_diff(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    from_version: Annotated[int | None, QueryParameter(ge=1)] = None,
    to_version: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Template:
    service = await protocol_service(db_session, access)
    versions = await service.versions()
    numbers = [v.version for v in versions]
    new = to_version or (numbers[0] if numbers else 1)
    old = from_version or max(new - 1, 1)
    a, b = await service.version(old), await service.version(new)  # 404 when missing
    changes = sentences_between(a.rules or "", b.rules or "", await names_for(service))
    return render(
        request,
        "pages/protocol_diff.html",
        actor,
        versions=versions,
        values={"from_version": str(old), "to_version": str(new)},
        errors={},
        changes=changes,
        from_version=old,
        to_version=new,
        tenant_name=await queries.tenant_name(db_session, actor),
    )


EXPLAIN_MESSAGES = {
    "user": "Select a member of the partnership",
    "person": "Enter the prison number or record id of a person in this partnership",
    "category": "Select the information",
    "action": "Select what they want to do",
}


async def find_person(session: AsyncSession, actor: Actor, text: str) -> uuid.UUID | None:
    """A person of this partnership by record id or prison number."""
    try:
        person_id = uuid.UUID(text)
    except ValueError:
        return await session.scalar(
            select(Person.id).where(
                Person.tenant_id == actor.tenant_id, Person.prison_number == text.upper()
            )
        )
    return await session.scalar(
        select(Person.id).where(Person.tenant_id == actor.tenant_id, Person.id == person_id)
    )


@get(f"{PROTOCOL}/explain", include_in_schema=False)
async def protocol_explain(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    user: Annotated[str | None, QueryParameter(max_length=40)] = None,
    person: Annotated[str | None, QueryParameter(max_length=40)] = None,
    category: Annotated[str | None, QueryParameter(max_length=40)] = None,
    action: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Template:
    service = await protocol_service(db_session, access)
    members = await queries.members(db_session, actor)
    member_options = [(str(uid), name) for uid, name, _ in members]
    values = {
        "user": (user or "").strip(),
        "person": (person or "").strip(),
        "category": (category or "").strip(),
        "action": (action or "read").strip(),
    }
    errors = FormErrors()
    answer = None
    asked = any(v is not None for v in (user, person, category))
    if asked:
        if values["user"] not in dict(member_options):
            errors.add("user", EXPLAIN_MESSAGES["user"])
        person_id = (
            await find_person(db_session, actor, values["person"]) if values["person"] else None
        )
        if person_id is None:
            errors.add("person", EXPLAIN_MESSAGES["person"])
        if values["category"] not in access.categories:
            errors.add("category", EXPLAIN_MESSAGES["category"])
        if values["action"] not in ACTIONS:
            errors.add("action", EXPLAIN_MESSAGES["action"])
        if not errors and person_id is not None:
            answer = await service.explain_for(
                uuid.UUID(values["user"]), person_id, values["category"], values["action"]
            )
    rule = rule_words(await names_for(service), answer.rule) if answer else None
    return render(
        request,
        "pages/protocol_explain.html",
        actor,
        values=values,
        errors=errors,
        members=member_options,
        member_names=dict(member_options),
        categories=[(c, humanise(c)) for c in access.categories],
        actions=[(a, humanise(a)) for a in ACTIONS],
        answer=answer,
        rule_words=rule,
        relation_words=RELATION_WORDS,
        tenant_name=await queries.tenant_name(db_session, actor),
        status_code=400 if errors else 200,
    )


HANDLERS = [protocol_page, protocol_versions, protocol_diff, protocol_explain]
