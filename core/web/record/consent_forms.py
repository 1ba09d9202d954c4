"""Recording consent to share, and withdrawing it (through a confirmation page with a reason)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.consents.schemas import ConsentCreate, ConsentWithdraw, ConsentWithdrawal
from core.consents.services import ConsentService
from core.tenancy.models import OrganisationKind
from core.vocabulary import RECORD_CATEGORIES
from core.web import queries
from core.web.filters import org_kind
from core.web.forms import (
    FormErrors,
    form_values,
    save_form,
)
from core.web.record.common import PERSON, form_page, person_url

CONSENT_CATEGORY = RECORD_CATEGORIES["consent"]

CONSENT_MESSAGES = {
    "category": "Select what the person agreed to share",
    "purpose": "Enter what the information will be used for",
    "lawful_basis": "Select the lawful basis for sharing",
    "recipient": "Select who it may be shared with",
}


async def consent_context(state: State, session: AsyncSession, actor: Actor) -> dict[str, Any]:
    orgs = await queries.organisations(session, actor)
    return {
        "categories": [(c, c) for c in state.sharing_categories],
        "recipients": [
            (f"kind:{k.value}", f"Every {org_kind(k.value)} partner") for k in OrganisationKind
        ]
        + [(f"org:{o.id}", o.name) for o in orgs],
    }


def again_values(consent: Any) -> dict[str, str]:
    """The form filled from a withdrawn consent: re-giving it records a new consent, so the
    withdrawal stays in the history as it happened."""
    recipient = (
        f"org:{consent.recipient_organisation_id}"
        if consent.recipient_organisation_id
        else f"kind:{consent.recipient_kind}"
    )
    return {
        "category": consent.category,
        "recipient": recipient,
        "purpose": consent.purpose,
        "lawful_basis": consent.lawful_basis,
    }


@get(f"{PERSON}/consents/new", include_in_schema=False)
async def consent_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    state: State,
    person_id: FromPath[uuid.UUID],
    again: Annotated[uuid.UUID | None, QueryParameter()] = None,
) -> Template:
    values = {"lawful_basis": "consent"}
    if again is not None:
        values = again_values(await ConsentService(db_session, access).get(person_id, again))
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/consent_form.html",
        values,
        FormErrors(),
        again=again is not None,
        **await consent_context(state, db_session, actor),
    )


@post(f"{PERSON}/consents/new", include_in_schema=False)
async def consent_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    state: State,
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if values.get("category") not in state.sharing_categories:
        errors.add("category", CONSENT_MESSAGES["category"])
    recipient = values.get("recipient", "")
    target: dict[str, Any] = {}
    if recipient.startswith("kind:"):
        target["recipient_kind"] = recipient.removeprefix("kind:")
    elif recipient.startswith("org:") and queries.parse_uuid(recipient.removeprefix("org:")):
        target["recipient_organisation_id"] = recipient.removeprefix("org:")
    else:
        errors.add("recipient", CONSENT_MESSAGES["recipient"])
    if not values.get("purpose"):
        errors.add("purpose", CONSENT_MESSAGES["purpose"])
    data = {
        "category": values.get("category"),
        "purpose": values.get("purpose"),
        "lawful_basis": values.get("lawful_basis", ""),
        **target,
    }

    async def save(consent: ConsentCreate) -> None:
        service = ConsentService(db_session, access)
        await service.create(person_id, consent, categories=state.sharing_categories)

    if await save_form(db_session, data, ConsentCreate, errors, CONSENT_MESSAGES, save, "category"):
        return Redirect(person_url(actor, person_id, "consent") + "#consent")
    for key in ("recipient_kind", "recipient_organisation_id"):
        if key in errors:
            errors["recipient"] = errors.pop(key)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/consent_form.html",
        values,
        errors,
        **await consent_context(state, db_session, actor),
    )


WITHDRAW = f"{PERSON}/consents/{{consent_id:uuid}}/withdraw"
WITHDRAW_MESSAGES = {"reason": "Enter why consent is being withdrawn"}


async def withdraw_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    consent_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    consent = await ConsentService(session, access).get(person_id, consent_id)
    organisations = {o.id: o.name for o in await queries.organisations(session, access.actor)}
    return await form_page(
        request,
        access,
        session,
        person_id,
        "pages/consent_withdraw.html",
        values,
        errors,
        consent=consent,
        organisations=organisations,
    )


@get(WITHDRAW, include_in_schema=False)
async def consent_withdraw_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    consent_id: FromPath[uuid.UUID],
) -> Template:
    # Offered only to those who may withdraw it: the same check as the withdrawal's own.
    await access.require(CONSENT_CATEGORY, "write", person_id)
    return await withdraw_page(request, access, db_session, person_id, consent_id, {}, FormErrors())


@post(WITHDRAW, include_in_schema=False)
async def consent_withdraw(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    consent_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("reason"):
        errors.add("reason", WITHDRAW_MESSAGES["reason"])

    async def save(form: ConsentWithdrawal) -> None:
        await ConsentService(db_session, access).withdraw(
            person_id, consent_id, ConsentWithdraw(reason=form.reason)
        )

    if await save_form(
        db_session,
        {"reason": values.get("reason")},
        ConsentWithdrawal,
        errors,
        WITHDRAW_MESSAGES | {"reason": "Reason must be 2,000 characters or fewer"},
        save,
        "reason",
    ):
        return Redirect(person_url(actor, person_id, "withdrawn") + "#consent")
    # Withdrawn meanwhile (by someone else): said beside the one field the page has.
    if "withdrawn_at" in errors:
        errors["reason"] = errors.pop("withdrawn_at")
    return await withdraw_page(request, access, db_session, person_id, consent_id, values, errors)
