"""The forms that log work for a person: an intervention, a referral, an outcome review."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.authz.actor import Actor
from core.interventions.models import Setting
from core.interventions.schemas import InterventionCreate
from core.interventions.services import InterventionService
from core.outcomes.models import DOMAINS, SCORE_MAX, SCORE_MIN
from core.outcomes.schemas import OutcomeReviewCreate
from core.outcomes.services import OutcomeReviewService
from core.referrals.models import ReferralSource
from core.referrals.schemas import ReferralCreate
from core.referrals.services import ReferralService
from core.web.filters import humanise
from core.web.forms import (
    FormErrors,
    form_values,
    parse_date,
    parse_time,
    save_form,
    uk_moment,
)
from core.web.record.common import PERSON, date_values, form_page, person_url
from core.web.services import domain_service


def kind_options(
    state: State, access: Access, writable: set[str] | None = None
) -> list[tuple[str, str]]:
    """Kinds whose category this partnership has: a switched-off plugin's kinds are not offered.

    With ``writable`` (the blank form), only the kinds this viewer may log for the person;
    a sent form is checked against the partnership's kinds, so a refusal says why.
    """
    kinds = state.intervention_kinds
    allowed = set(access.categories) if writable is None else writable & set(access.categories)
    offered = [k for k, category in kinds.items() if category in allowed]
    return sorted(((k, humanise(k)) for k in offered), key=lambda o: o[1])


INTERVENTION_MESSAGES = {
    "kind": "Select the kind of intervention",
    "setting": "Select where the intervention took place",
    "duration_minutes": "Duration must be a whole number of minutes between 1 and 1440",
    "notes": "Notes must be 10,000 characters or fewer",
    "occurred_at": "Enter the date of the intervention",
}


@get(f"{PERSON}/interventions/new", include_in_schema=False)
async def intervention_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    state: State,
    person_id: FromPath[uuid.UUID],
) -> Template:
    values = date_values("occurred_on", clock.today())
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/intervention_form.html",
        values,
        FormErrors(),
        kinds=kind_options(state, access, await access.writable_categories(person_id)),
    )


@post(f"{PERSON}/interventions/new", include_in_schema=False)
async def intervention_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    state: State,
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if values.get("kind") not in dict(kind_options(state, access)):
        errors.add("kind", INTERVENTION_MESSAGES["kind"])
    if values.get("setting") not in {s.value for s in Setting}:
        errors.add("setting", INTERVENTION_MESSAGES["setting"])
    day = parse_date(values, "occurred_on", errors, "Date of the intervention")
    if day is None and "occurred_on" not in errors:
        errors.add("occurred_on", "Enter the date of the intervention")
    if day is not None and day > clock.today():
        errors.add("occurred_on", "Date of the intervention must be today or in the past")
    at = parse_time(values, "occurred_time", errors, "Time")
    duration = values.get("duration_minutes", "")
    if duration and not duration.isdigit():
        errors.add("duration_minutes", INTERVENTION_MESSAGES["duration_minutes"])
    data = None
    if day is not None:
        data = {
            "person_id": str(person_id),
            "kind": values.get("kind"),
            "setting": values.get("setting"),
            "occurred_at": uk_moment(day, at).isoformat(),
            "duration_minutes": int(duration) if duration.isdigit() else None,
            "notes": values.get("notes") or None,
        }
    service = InterventionService(db_session, access, state.intervention_kinds)
    if await save_form(
        db_session, data, InterventionCreate, errors, INTERVENTION_MESSAGES, service.create, "kind"
    ):
        return Redirect(person_url(actor, person_id, "intervention") + "#timeline")
    if "occurred_at" in errors:
        errors["occurred_on"] = errors.pop("occurred_at")
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/intervention_form.html",
        values,
        errors,
        kinds=kind_options(state, access),
    )


REFERRAL_MESSAGES = {
    "source": "Select where the referral came from",
    "reason": "Reason must be 2,000 characters or fewer",
    "received_at": "Enter the date the referral was received",
}


@get(f"{PERSON}/referrals/new", include_in_schema=False)
async def referral_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/referral_form.html",
        date_values("received_on", clock.today()),
        FormErrors(),
        sources=[(s.value, s.value) for s in ReferralSource],
    )


@post(f"{PERSON}/referrals/new", include_in_schema=False)
async def referral_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if values.get("source") not in {s.value for s in ReferralSource}:
        errors.add("source", REFERRAL_MESSAGES["source"])
    day = parse_date(values, "received_on", errors, "Date received")
    if day is not None and day > clock.today():
        errors.add("received_on", "Date received must be today or in the past")
    received = None
    if day is not None and day != clock.today():
        received = uk_moment(day, None).isoformat()
    data = {
        "person_id": str(person_id),
        "source": values.get("source"),
        "reason": values.get("reason") or None,
        "received_at": received,
    }
    service = ReferralService(db_session, access)
    if await save_form(
        db_session, data, ReferralCreate, errors, REFERRAL_MESSAGES, service.create, "source"
    ):
        return Redirect(person_url(actor, person_id, "referral") + "#referrals")
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/referral_form.html",
        values,
        errors,
        sources=[(s.value, s.value) for s in ReferralSource],
    )


REVIEW_MESSAGES = {
    domain: f"Select a score for {domain.replace('_', ' ')}" for domain in DOMAINS
} | {
    "setting": "Select where the review took place",
    "reviewed_on": "Enter the date of the review",
    "notes": "Notes must be 10,000 characters or fewer",
}


@get(f"{PERSON}/reviews/new", include_in_schema=False)
async def review_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/review_form.html",
        date_values("reviewed_on", clock.today()),
        FormErrors(),
        domains=DOMAINS,
        scores=list(range(SCORE_MIN, SCORE_MAX + 1)),
    )


@post(f"{PERSON}/reviews/new", include_in_schema=False)
async def review_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    day = parse_date(values, "reviewed_on", errors, "Date of the review")
    if day is None and "reviewed_on" not in errors:
        errors.add("reviewed_on", REVIEW_MESSAGES["reviewed_on"])
    if values.get("setting") not in {s.value for s in Setting}:
        errors.add("setting", REVIEW_MESSAGES["setting"])
    scores: dict[str, int] = {}
    for domain in DOMAINS:
        raw = values.get(domain, "")
        if not raw.isdigit() or not SCORE_MIN <= int(raw) <= SCORE_MAX:
            errors.add(domain, REVIEW_MESSAGES[domain])
        else:
            scores[domain] = int(raw)
    data = None
    if day is not None:
        data = {
            "person_id": str(person_id),
            "reviewed_on": day.isoformat(),
            "setting": values.get("setting"),
            "notes": values.get("notes") or None,
            **scores,
        }
    service = domain_service(OutcomeReviewService, db_session, access)
    if await save_form(
        db_session,
        data,
        OutcomeReviewCreate,
        errors,
        REVIEW_MESSAGES,
        service.create,
        "reviewed_on",
    ):
        return Redirect(person_url(actor, person_id, "review") + "#outcomes")
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/review_form.html",
        values,
        errors,
        domains=DOMAINS,
        scores=list(range(SCORE_MIN, SCORE_MAX + 1)),
    )
