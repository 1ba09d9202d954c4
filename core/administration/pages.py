"""/t/{tenant}/admin: the lead's pages over the same services as the API (the index and
organisations here; members in :mod:`core.administration.member_pages`).

Every form goes through :func:`core.web.forms.save_form`, so a refusal or a broken rule
lands beside its field with what was typed kept. A member who is not the lead gets the
plain 403 page; another tenant's ids are "not found".
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.administration import welcome
from core.administration.schemas import OrganisationCreate, OrganisationRename
from core.administration.services import UNUSED_DAYS, OrganisationService, require_lead
from core.authz.actor import Actor
from core.tenancy.models import OrganisationKind, Tenant
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from core.web.filters import org_kind
from core.web.forms import FormErrors, form_values, save_form

ADMIN = "/t/{tenant:str}/admin"
ORG = ADMIN + "/organisations/{organisation_id:uuid}"
MEMBER = ADMIN + "/members/{membership_id:uuid}"

ORG_MESSAGES = {
    "name": "Enter the organisation's name, in 2 to 200 characters",
    "kind": "Select what kind of organisation it is",
}
MEMBER_MESSAGES = {
    "display_name": "Enter their full name, in 2 to 200 characters",
    "username": "Enter a username of 2 to 120 lower-case letters, digits, dots or hyphens",
    "email": "Enter an email address in the correct format, like name@example.org",
    "organisation_id": "Select their organisation",
    "roles": "Select at least one role",
    "how": "Select how they will choose their password",
}


def kind_label(kind: str) -> str:
    """``local_authority`` -> ``Local authority``, for a label or a caption."""
    text = org_kind(kind)
    return text[:1].upper() + text[1:]


def kinds() -> list[tuple[str, str]]:
    return [(k.value, kind_label(k.value)) for k in OrganisationKind]


async def tenant_roles(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    tenant = await session.get(Tenant, actor.tenant_id)
    assert tenant is not None
    described = tenant.config.get("role_descriptions") or {}
    return [(r, described.get(r, "")) for r in tenant.roles]


async def tenant_name(session: AsyncSession, actor: Actor) -> str | None:
    return await session.scalar(select(Tenant.name).where(Tenant.id == actor.tenant_id))


def role_label(role: str) -> str:
    return role.replace("_", " ").capitalize()


async def org_options(service: OrganisationService) -> list[tuple[str, str]]:
    return [(str(o.id), o.name) for o in await service._list() if o.is_active]


@get(ADMIN, include_in_schema=False)
async def admin_index(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    await require_lead(db_session, actor, "admin_index")
    return render(
        request,
        "administration/index.html",
        actor,
        unused_days=UNUSED_DAYS,
        tenant_name=await tenant_name(db_session, actor),
    )


# ---- organisations ----------------------------------------------------------------------


@get(ADMIN + "/organisations", include_in_schema=False)
async def organisations_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    organisations = await OrganisationService(db_session, actor).list()
    return render(
        request,
        "administration/organisations.html",
        actor,
        organisations=organisations,
        kind_label=kind_label,
    )


async def _org_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    return render(
        request,
        "administration/organisation_new.html",
        actor,
        values=values,
        errors=errors,
        kinds=kinds(),
        status_code=400 if errors else 200,
    )


@get(ADMIN + "/organisations/new", include_in_schema=False)
async def organisation_new(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    await require_lead(db_session, actor, "add_organisation")
    return await _org_form(request, actor, {}, FormErrors())


@post(ADMIN + "/organisations/new", include_in_schema=False)
async def organisation_add(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    service = OrganisationService(db_session, actor)
    await require_lead(db_session, actor, "add_organisation")
    values = form_values(await request.form())
    errors = FormErrors()
    added: list[uuid.UUID] = []

    async def save(data: OrganisationCreate) -> None:
        added.append((await service.add(data)).id)

    data = {"name": values.get("name", ""), "kind": values.get("kind", "")}
    if await save_form(db_session, data, OrganisationCreate, errors, ORG_MESSAGES, save, "name"):
        return Redirect(f"/t/{actor.tenant_slug}/admin/organisations/{added[0]}?added=1")
    return await _org_form(request, actor, values, errors)


async def _org_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    session: AsyncSession,
    organisation_id: uuid.UUID,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Template:
    service = OrganisationService(session, actor)
    organisation = await service.show(organisation_id)
    return render(
        request,
        "administration/organisation.html",
        actor,
        organisation=organisation,
        kind_label=kind_label,
        history=await service.history(organisation_id),
        values=values or {"name": organisation.name},
        errors=errors or FormErrors(),
        added=request.query_params.get("added") == "1",
        status_code=400 if errors else 200,
    )


@get(ORG, include_in_schema=False)
async def organisation_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    organisation_id: FromPath[uuid.UUID],
) -> Template:
    return await _org_page(request, actor, db_session, organisation_id)


@post(ORG, include_in_schema=False)
async def organisation_rename(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    organisation_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    service = OrganisationService(db_session, actor)
    await service.show(organisation_id)  # the lead's, in this tenant, before the form is read
    values = form_values(await request.form())
    errors = FormErrors()

    async def save(data: OrganisationRename) -> None:
        await service.rename(organisation_id, data)

    data = {"name": values.get("name", "")}
    if await save_form(db_session, data, OrganisationRename, errors, ORG_MESSAGES, save, "name"):
        return Redirect(f"/t/{actor.tenant_slug}/admin/organisations/{organisation_id}")
    return await _org_page(request, actor, db_session, organisation_id, values, errors)


@get(ORG + "/deactivate", include_in_schema=False)
async def organisation_deactivate_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    organisation_id: FromPath[uuid.UUID],
) -> Template:
    organisation = await OrganisationService(db_session, actor).show(organisation_id)
    return render(
        request,
        "administration/organisation_deactivate.html",
        actor,
        organisation=organisation,
        errors=FormErrors(),
    )


@post(ORG + "/deactivate", include_in_schema=False)
async def organisation_deactivate(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    db_session: NamedDependency[AsyncSession],
    organisation_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    service = OrganisationService(db_session, actor)
    organisation = await service.show(organisation_id)
    errors = FormErrors()

    async def save(_: dict[str, Any]) -> None:
        await service.deactivate(organisation_id)

    if await save_form(db_session, {}, dict, errors, {}, save, "organisation"):
        return Redirect(f"/t/{actor.tenant_slug}/admin/organisations/{organisation_id}")
    return render(
        request,
        "administration/organisation_deactivate.html",
        actor,
        organisation=organisation,
        errors=errors,
        status_code=400,
    )


HANDLERS = [
    admin_index,
    organisations_page,
    organisation_new,
    organisation_add,
    organisation_page,
    organisation_rename,
    organisation_deactivate_page,
    organisation_deactivate,
]


def page_router() -> Router:
    from core.administration import member_pages

    return Router(
        path="/",
        route_handlers=[*HANDLERS, *member_pages.HANDLERS, *welcome.HANDLERS],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
