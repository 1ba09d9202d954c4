"""The partnership lead's pages: the sharing protocol and the break-glass review queue.

``/t/{tenant}/protocol`` shows the live version and who can see what; ``/edit`` previews
the counted effect of a draft and publishes it with a reason; ``/versions`` and ``/diff``
show the history; ``/explain`` says why a member can or cannot see a part of a record.
``/t/{tenant}/break-glass`` is the lead's review queue, and
``/t/{tenant}/persons/{id}/break-glass`` is where any member asks for emergency access.

Every lead page goes through :class:`ProtocolService` or :class:`BreakGlassService`,
which check ``protocol, manage`` and audit; a member without it gets the plain 403 page.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.protocol import ACTIONS
from core.authz.schemas import BreakGlassRequest, BreakGlassReview, ProtocolDraft, ProtocolPublish
from core.authz.services import BreakGlassService, ProtocolService
from core.authz.watcher import announce
from core.hookspecs import hookimpl
from core.hooktypes import NavItem
from core.persons.models import Person
from core.persons.services import PersonService
from core.web import queries
from core.web.context import PAGE_EXCEPTION_HANDLERS, render
from core.web.filters import humanise, org_kind
from core.web.forms import FormErrors, convert, form_values, rule_errors

TENANT = "/t/{tenant:str}"
PROTOCOL = f"{TENANT}/protocol"
BREAK_GLASS = f"{TENANT}/break-glass"
PERSON_BREAK_GLASS = f"{TENANT}/persons/{{person_id:uuid}}/break-glass"

NAVIGATION: tuple[NavItem, ...] = (
    NavItem(label="Sharing protocol", path="protocol", order=80, roles=("partnership_lead",)),
    NavItem(label="Break-glass reviews", path="break-glass", order=90, roles=("partnership_lead",)),
)

PUBLISH_MESSAGES = {
    "rules": "Enter the protocol rules",
    "reason": "Enter why you are changing the protocol, in at least 3 characters",
}
REVIEW_MESSAGES = {"note": "Enter a review note, in at least 3 characters"}
REQUEST_MESSAGES = {
    "category": "Select the information you need",
    "reason": "Enter why you need emergency access, in at least 3 characters",
    "minutes": "Select how long you need access for",
}
# Break-glass lasts at most three hours (the service's limit); shorter is better.
DURATIONS = (("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours"), ("180", "3 hours"))


async def protocol_service(session: AsyncSession, access: Access) -> ProtocolService:
    # As the API's provider does: the lead's permission is checked before anything is read.
    await access.require_tenant("protocol", "manage")
    return ProtocolService(session, access)


def subject_label(subject: str) -> str:
    """``r:case_worker`` -> "Case worker (role)", ``k:nhs`` -> "NHS (organisations)"."""
    kind, _, name = subject.partition(":")
    if kind == "r":
        return f"{humanise(name)} (role)"
    if kind == "k":
        return f"{org_kind(name)} (organisations)"
    return subject


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


async def publish_and_tell(
    request: Request[Any, Any, Any], service: ProtocolService, rules: str, reason: str
) -> int:
    """Publish, then tell this and every other process, as the API's publish does."""
    published = await service.publish(rules, reason)
    state = request.app.state
    state.policies.invalidate(service.actor.tenant_id, published.version)
    await announce(state.settings.redis.url, service.actor.tenant_id, published.version)
    return published.version


# -- the protocol ----------------------------------------------------------------------------


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
    by_category: dict[str, list[Any]] = defaultdict(list)
    for cell in matrix.cells:
        by_category[cell.category].append(cell)
    names = await queries.user_names(db_session, {live.created_by} if live.created_by else set())
    return render(
        request,
        "pages/protocol.html",
        actor,
        live=live,
        author=names.get(live.created_by) if live.created_by else None,
        categories=matrix.categories,
        by_category=by_category,
        subject_label=subject_label,
        # Only the version just published is announced: an old link says nothing.
        published=published if published == live.version else None,
        tenant_name=await queries.tenant_name(db_session, actor),
    )


async def edit_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    session: AsyncSession,
    values: dict[str, str],
    errors: FormErrors,
    live_version: int,
    preview: Any = None,
) -> Template:
    return render(
        request,
        "pages/protocol_edit.html",
        actor,
        values=values,
        errors=errors,
        live_version=live_version,
        preview=preview,
        diff=diff_rows(preview.diff) if preview is not None else [],
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
    )


@get(f"{PROTOCOL}/edit", include_in_schema=False)
async def protocol_edit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    service = await protocol_service(db_session, access)
    live = await service.live()
    return await edit_page(
        request, actor, db_session, {"rules": live.rules or ""}, FormErrors(), live.version
    )


@post(f"{PROTOCOL}/edit", include_in_schema=False)
async def protocol_edit_submit(
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
    preview = None
    if values.get("action") == "publish":
        data = convert(
            {"rules": values["rules"], "reason": values.get("reason", "")},
            ProtocolPublish,
            errors,
            PUBLISH_MESSAGES,
        )
        if data is not None:
            try:
                version = await publish_and_tell(request, service, data.rules, data.reason)
            except HTTPException as exc:
                if exc.status_code not in (409, 422):
                    raise
                await db_session.rollback()
                rule_errors(exc, errors, "rules")
            else:
                return Redirect(f"/t/{actor.tenant_slug}/protocol?published={version}")
    else:
        draft = convert({"rules": values["rules"]}, ProtocolDraft, errors, PUBLISH_MESSAGES)
        if draft is not None:
            preview = await service.preview(draft.rules)
            if preview.problems:
                # Each problem names its line; all of them, beside the rules they are about.
                errors.add("rules", "; ".join(preview.problems))
    return await edit_page(
        request, actor, db_session, values, errors, access.policy.version, preview
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
    result = await service.diff(old, new)  # 404 for a version that does not exist
    return render(
        request,
        "pages/protocol_diff.html",
        actor,
        versions=versions,
        values={"from_version": str(old), "to_version": str(new)},
        errors={},
        diff=diff_rows(result.lines),
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
        found = await session.scalar(
            select(Person.id).where(
                Person.tenant_id == actor.tenant_id, Person.prison_number == text.upper()
            )
        )
        return found
    exists = await session.scalar(
        select(Person.id).where(Person.tenant_id == actor.tenant_id, Person.id == person_id)
    )
    return exists


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
        tenant_name=await queries.tenant_name(db_session, actor),
        status_code=400 if errors else 200,
    )


# -- break-glass -------------------------------------------------------------------------------


async def queue_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    *,
    reviewed: bool,
    errors: FormErrors,
    values: dict[str, str],
    done: bool = False,
    failed_grant: uuid.UUID | None = None,
) -> Template:
    actor = access.actor
    grants = await BreakGlassService(session, access).queue(reviewed=reviewed)
    people = {g.user_id for g in grants} | {g.reviewed_by for g in grants if g.reviewed_by}
    names = await queries.user_names(session, people)
    persons: dict[uuid.UUID, Person] = {}
    if grants:
        rows = await session.scalars(
            select(Person).where(
                Person.tenant_id == actor.tenant_id,
                Person.id.in_({g.person_id for g in grants}),
            )
        )
        persons = {p.id: p for p in rows.all()}
    return render(
        request,
        "pages/break_glass.html",
        actor,
        grants=grants,
        names=names,
        persons=persons,
        reviewed_view=reviewed,
        errors=errors,
        values=values,
        done=done,
        failed_grant=failed_grant,
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
    )


@get(BREAK_GLASS, include_in_schema=False)
async def break_glass_queue(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    show: Annotated[str, QueryParameter(max_length=10)] = "open",
    done: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Template:
    return await queue_page(
        request,
        access,
        db_session,
        reviewed=show == "reviewed",
        errors=FormErrors(),
        values={},
        done=done == "1",
    )


@get(f"{PROTOCOL}/break-glass", include_in_schema=False)
async def break_glass_alias(actor: NamedDependency[Actor]) -> Redirect:
    # The lead's break-glass notification links here (core/authz/services.py).
    return Redirect(f"/t/{actor.tenant_slug}/break-glass")


@post(f"{BREAK_GLASS}/{{grant_id:uuid}}/review", include_in_schema=False)
async def break_glass_review(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    grant_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    data = convert({"note": values.get("note", "")}, BreakGlassReview, errors, REVIEW_MESSAGES)
    if data is not None:
        try:
            await BreakGlassService(db_session, access).review(grant_id, data.note)
        except HTTPException as exc:
            if exc.status_code != 409:
                raise
            await db_session.rollback()
            # Reviewed by someone else meanwhile: it has left this queue, so no field to point at.
            errors.add("", str(exc.detail))
        else:
            return Redirect(f"/t/{actor.tenant_slug}/break-glass?done=1")
    # The queue has one note field per grant: the error and the typed note go to this one.
    return await queue_page(
        request,
        access,
        db_session,
        reviewed=False,
        errors=errors,
        values={"note": values.get("note", "")},
        failed_grant=grant_id,
    )


async def request_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
    opened: Any = None,
) -> Template:
    actor = access.actor
    # The person's identity line, through the audited service (404 when not visible).
    person, readable = await PersonService(session, access).get(person_id)
    withheld = [c for c in access.categories if c not in readable]
    mine = [g for g in await BreakGlassService(session, access).mine() if g.person_id == person_id]
    return render(
        request,
        "pages/break_glass_request.html",
        actor,
        person=person,
        withheld=[(c, humanise(c)) for c in withheld],
        durations=DURATIONS,
        values=values,
        errors=errors,
        grants=mine,
        opened=opened,
        back=f"/t/{actor.tenant_slug}/persons/{person_id}",
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
    )


@get(PERSON_BREAK_GLASS, include_in_schema=False)
async def break_glass_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    return await request_page(
        request, access, db_session, person_id, {"minutes": "60"}, FormErrors()
    )


@post(PERSON_BREAK_GLASS, include_in_schema=False)
async def break_glass_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("category"):
        errors.add("category", REQUEST_MESSAGES["category"])
    if len(values.get("reason", "")) < 3:
        errors.add("reason", REQUEST_MESSAGES["reason"])
    if values.get("minutes") not in dict(DURATIONS):
        errors.add("minutes", REQUEST_MESSAGES["minutes"])
    opened = None
    data = None
    if not errors:
        data = convert(
            {
                "person_id": str(person_id),
                "category": values["category"],
                "reason": values.get("reason", ""),
                "minutes": int(values["minutes"]),
            },
            BreakGlassRequest,
            errors,
            REQUEST_MESSAGES,
        )
    if data is not None:
        try:
            opened = await BreakGlassService(db_session, access).open(data)
        except HTTPException as exc:
            if exc.status_code not in (409, 422):
                raise
            await db_session.rollback()
            rule_errors(exc, errors, "category")
    if opened is not None:
        values = {"minutes": "60"}
    return await request_page(request, access, db_session, person_id, values, errors, opened)


HANDLERS = [
    protocol_page,
    protocol_edit,
    protocol_edit_submit,
    protocol_versions,
    protocol_diff,
    protocol_explain,
    break_glass_queue,
    break_glass_alias,
    break_glass_review,
    break_glass_form,
    break_glass_submit,
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
