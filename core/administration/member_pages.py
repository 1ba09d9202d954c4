"""/t/{tenant}/admin/members and /access-review: the lead's member pages.

Invite or create, change roles and organisation, deactivate with a confirmation (now or
on a date), and the access review; the same services as the API, the one form flow.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.administration.members import FIRST_SIGN_IN, MemberService
from core.administration.pages import (
    ADMIN,
    MEMBER,
    MEMBER_MESSAGES,
    org_options,
    role_label,
    tenant_name,
    tenant_roles,
)
from core.administration.schemas import MemberCreate, MemberCreated, MemberDeactivate, MemberUpdate
from core.administration.services import OrganisationService, require_lead
from core.authz.actor import Actor
from core.web.context import render
from core.web.forms import FormErrors, form_values, parse_date, save_form

# ---- members ----------------------------------------------------------------------------


@get(ADMIN + "/members", include_in_schema=False)
async def members_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Template:
    members = await MemberService(db_session, actor, state.settings.smtp).list()
    return render(
        request, "administration/members.html", actor, members=members, role_label=role_label
    )


async def _member_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    session: AsyncSession,
    values: dict[str, Any],
    errors: FormErrors,
) -> Template:
    return render(
        request,
        "administration/member_new.html",
        actor,
        values=values,
        errors=errors,
        organisations=await org_options(OrganisationService(session, actor)),
        roles=await tenant_roles(session, actor),
        role_label=role_label,
        status_code=400 if errors else 200,
    )


@get(ADMIN + "/members/new", include_in_schema=False)
async def member_new(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    await require_lead(db_session, actor, "create_member")
    return await _member_form(request, actor, db_session, {"how": "invite"}, FormErrors())


@post(ADMIN + "/members/new", include_in_schema=False)
async def member_add(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    state: State,
) -> Template:
    await require_lead(db_session, actor, "create_member")
    service = MemberService(db_session, actor, state.settings.smtp)
    form = await request.form()
    values: dict[str, Any] = form_values(form)
    roles = [str(r) for r in form.getall("roles", [])]
    values["roles"] = roles
    errors = FormErrors()
    done: list[MemberCreated] = []

    async def save(data: MemberCreate) -> None:
        done.append(await service.create(data))

    data = {
        "username": values.get("username", "").lower(),
        "display_name": values.get("display_name", ""),
        "organisation_id": values.get("organisation_id", ""),
        "roles": roles,
        "how": values.get("how", ""),
        "email": values.get("email") or None,
    }
    if await save_form(db_session, data, MemberCreate, errors, MEMBER_MESSAGES, save, "username"):
        return _created_page(request, actor, done[0])
    return await _member_form(request, actor, db_session, values, errors)


def _created_page(
    request: Request[Any, Any, Any], actor: Actor, created: MemberCreated
) -> Template:
    base = str(request.base_url).rstrip("/")
    return render(
        request,
        "administration/member_created.html",
        actor,
        created=created,
        link=f"{base}{created.invitation_url}" if created.invitation_url else None,
        first_sign_in=base + FIRST_SIGN_IN,
        status_code=201,
    )


async def _member_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    session: AsyncSession,
    membership_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> Template:
    service = MemberService(session, actor)
    member = await service.show(membership_id)
    return render(
        request,
        "administration/member.html",
        actor,
        member=member,
        history=await service.history(membership_id),
        values=values or {"roles": member.roles, "organisation_id": str(member.organisation_id)},
        errors=errors or FormErrors(),
        organisations=await org_options(OrganisationService(session, actor)),
        roles=await tenant_roles(session, actor),
        role_label=role_label,
        saved=request.query_params.get("saved") == "1",
        status_code=400 if errors else 200,
    )


@get(MEMBER, include_in_schema=False)
async def member_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    membership_id: FromPath[uuid.UUID],
) -> Template:
    return await _member_page(request, actor, db_session, membership_id)


@post(MEMBER, include_in_schema=False)
async def member_update(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    membership_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    service = MemberService(db_session, actor)
    await service.show(membership_id)
    form = await request.form()
    values: dict[str, Any] = form_values(form)
    values["roles"] = [str(r) for r in form.getall("roles", [])]
    errors = FormErrors()

    async def save(data: MemberUpdate) -> None:
        await service.update(membership_id, data)

    data = {"roles": values["roles"], "organisation_id": values.get("organisation_id", "")}
    if await save_form(db_session, data, MemberUpdate, errors, MEMBER_MESSAGES, save, "roles"):
        return Redirect(f"/t/{actor.tenant_slug}/admin/members/{membership_id}?saved=1")
    return await _member_page(request, actor, db_session, membership_id, values, errors)


@get(MEMBER + "/deactivate", include_in_schema=False)
async def member_deactivate_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    membership_id: FromPath[uuid.UUID],
) -> Template:
    member = await MemberService(db_session, actor).show(membership_id)
    return render(
        request,
        "administration/member_deactivate.html",
        actor,
        member=member,
        values={"when": "now"},
        errors=FormErrors(),
    )


@post(MEMBER + "/deactivate", include_in_schema=False)
async def member_deactivate(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    membership_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    service = MemberService(db_session, actor)
    member = await service.show(membership_id)
    values = form_values(await request.form())
    errors = FormErrors()
    data: dict[str, Any] | None = {"on": None}
    if values.get("when") == "date":
        on = parse_date(values, "on", errors, "The last day")
        if on is None and "on" not in errors:
            errors.add("on", "Enter the date their access ends")
        data = {"on": on.isoformat()} if on else None
    elif values.get("when") != "now":
        errors.add("when", "Select when their access ends")
        data = None

    async def save(parsed: MemberDeactivate) -> None:
        await service.deactivate(membership_id, parsed)

    if await save_form(db_session, data, MemberDeactivate, errors, {}, save, "when"):
        return Redirect(f"/t/{actor.tenant_slug}/admin/members/{membership_id}?saved=1")
    return render(
        request,
        "administration/member_deactivate.html",
        actor,
        member=member,
        values=values,
        errors=errors,
        status_code=400,
    )


@get(ADMIN + "/access-review", include_in_schema=False)
async def access_review_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    review = await MemberService(db_session, actor).review()
    return render(
        request,
        "administration/access_review.html",
        actor,
        review=review,
        role_label=role_label,
        tenant_name=await tenant_name(db_session, actor),
    )


HANDLERS = [
    members_page,
    member_new,
    member_add,
    member_page,
    member_update,
    member_deactivate_page,
    member_deactivate,
    access_review_page,
]
