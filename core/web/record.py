"""/t/{tenant}/persons/{id}: one person's record, and the forms that add to it.

The page calls the domain services directly (each audits its own read). Which parts the
viewer may see comes from the sharing engine; a withheld category is named with a plain
notice, never silently left out, so a worker knows to ask rather than assume.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership
from core.authz.access import Access, category_words
from core.authz.actor import Actor
from core.authz.fields import EpisodeView, PersonView, project
from core.authz.relations import ALLOCATION, SELF_ALLOCATION
from core.consents.schemas import ConsentCreate, ConsentWithdraw
from core.consents.services import ConsentService
from core.episodes.services import EpisodeService
from core.errors import not_found
from core.hooktypes import PersonPanel
from core.interventions.models import Setting
from core.interventions.schemas import InterventionCreate
from core.interventions.services import InterventionService
from core.outcomes.models import DOMAINS, SCORE_MAX, SCORE_MIN
from core.outcomes.schemas import OutcomeReviewCreate
from core.outcomes.services import OutcomeReviewService
from core.persons.schemas import PersonUpdate
from core.persons.services import PersonService
from core.plans.schemas import ActionCreate as PlanActionCreate
from core.plans.schemas import ActionUpdate as PlanActionUpdate
from core.plans.services import PlanService
from core.plugins import tenant_hook
from core.referrals.models import ReferralSource
from core.referrals.schemas import ReferralCreate
from core.referrals.services import ReferralService
from core.tenancy.models import OrganisationKind
from core.vocabulary import RECORD_CATEGORIES
from core.web import queries
from core.web.charts import distance_chart
from core.web.context import csrf_input, render
from core.web.filters import humanise, org_kind
from core.web.forms import (
    FormErrors,
    form_values,
    parse_date,
    parse_time,
    save_form,
    uk_moment,
)
from core.web.services import domain_service

log = logging.getLogger("throughcare")

PERSON = "/t/{tenant:str}/persons/{person_id:uuid}"
LIST_LIMIT = 50

# The sharing category of each part of the page, as the sharing engine files them.
SECTION_CATEGORIES = {
    "episodes": RECORD_CATEGORIES["episode"],
    "referrals": RECORD_CATEGORIES["referral"],
    "consents": RECORD_CATEGORIES["consent"],
    "plan": RECORD_CATEGORIES["recovery_plan"],
    "outcomes": RECORD_CATEGORIES["outcome_review"],
}

# How each part is named when it is withheld: in the one notice, and on its own section.
SECTION_WORDS = {
    "plan": ("the recovery plan", "The recovery plan is not shared with your organisation."),
    "outcomes": ("outcome reviews", "Outcome reviews are not shared with your organisation."),
    "consents": ("consent records", "Consent records are not shared with your organisation."),
    "referrals": ("referral history", "Referral history is not shared with your organisation."),
}


def join_words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: a list as a sentence reads it."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def withheld_notice(
    shown: dict[str, bool],
    hidden_categories: list[str],
    contact: str | None,
) -> dict[str, Any] | None:
    """One notice for everything this viewer is not shown, and whom to ask.

    A worker missing four sections needs one sentence saying so, not four identical
    panels; the contact is named only when the viewer may already see who it is.
    """
    parts = [words for section, (words, _) in SECTION_WORDS.items() if not shown[section]]
    # A withheld plugin panel is its category's work: named once, with the categories.
    if hidden_categories:
        named = join_words([category_words(c) for c in hidden_categories])
        parts.append(f"work filed under {named}")
    if not parts:
        return None
    return {"summary": join_words(parts), "contact": contact}


DONE_MESSAGES = {
    "intervention": "Intervention logged",
    "referral": "Referral recorded",
    "review": "Outcome review recorded",
    "consent": "Consent recorded",
    "withdrawn": "Consent withdrawn. Sharing under it stopped at once",
    "liberation": "Liberation date saved",
    "plan_action": "Plan action added",
    "plan_action_done": "Plan action marked as done",
    "phase": "Phase changed",
    "key_worker": "You are now the key worker",
    "decision": "Decision recorded",
}


def person_url(actor: Actor, person_id: uuid.UUID, done: str | None = None) -> str:
    url = f"/t/{actor.tenant_slug}/persons/{person_id}"
    return f"{url}?done={done}" if done else url


async def plugin_panels(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    access: Access,
    person_id: uuid.UUID,
    readable: set[str],
) -> list[dict[str, Any]]:
    hook = tenant_hook(
        request.app.state.plugin_manager, "register_person_panels", actor.enabled_plugins
    )
    panels: list[PersonPanel] = sorted(
        (p for answer in hook() for p in answer), key=lambda p: (p.order, p.title)
    )
    out: list[dict[str, Any]] = []
    for panel in panels:
        entry: dict[str, Any] = {"panel": panel, "withheld": panel.category not in readable}
        if not entry["withheld"]:
            try:
                context = await panel.load(session, access, person_id)
                template = request.app.template_engine.get_template(panel.template)
                # Autoescaped by the environment, so the rendered panel is already safe HTML.
                entry["html"] = Markup(  # noqa: S704
                    template.render(
                        **context,
                        actor=actor,
                        person_id=person_id,
                        request=request,
                        csrf_input=csrf_input(request),
                    )
                )
            except Exception:
                # One plugin's failure must not take the record page down with it.
                log.exception("person panel %s failed to load", panel.name)
                entry["failed"] = True
        out.append(entry)
    return out


@get(PERSON, include_in_schema=False)
async def person_page(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    state: State,
    person_id: FromPath[uuid.UUID],
    done: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Template:
    row, readable = await PersonService(db_session, access).get(person_id)
    # What the page shows of the person is the projection every list uses too.
    person = project(PersonView, readable, row)
    kinds: dict[str, str] = state.intervention_kinds
    # The service lists only the interventions whose category this user may read.
    interventions = (
        await InterventionService(db_session, access, kinds).list(
            person_id=person_id,
            organisation_id=None,
            kind=None,
            category=None,
            setting=None,
            occurred_from=None,
            occurred_to=None,
            limit=LIST_LIMIT,
            cursor=None,
        )
    ).items
    by_category: dict[str, list[Any]] = defaultdict(list)
    for item in interventions:
        by_category[item.category].append(item)

    def shown(section: str) -> bool:
        return SECTION_CATEGORIES[section] in readable

    episodes = (
        await EpisodeService(db_session, access).list(
            person_id=person_id, phase=None, key_worker_id=None, limit=LIST_LIMIT, cursor=None
        )
    ).items
    referrals = (
        (
            await ReferralService(db_session, access).list(
                person_id=person_id,
                episode_id=None,
                source=None,
                decision=None,
                overdue=None,
                limit=LIST_LIMIT,
                cursor=None,
            )
        ).items
        if shown("referrals")
        else []
    )
    consents = (
        (
            await ConsentService(db_session, access).list(
                person_id, active=None, category=None, limit=LIST_LIMIT, cursor=None
            )
        ).items
        if shown("consents")
        else []
    )
    plan = None
    if shown("plan"):
        plans = (
            await domain_service(PlanService, db_session, access).list(
                person_id=person_id, episode_id=None, status=None, limit=LIST_LIMIT, cursor=None
            )
        ).items
        if plans:
            latest = max(plans, key=lambda p: p.created_at)
            plan = await domain_service(PlanService, db_session, access).get(latest.id)
    reviews: list[Any] = []
    charts: list[Any] = []
    if shown("outcomes"):
        outcome_service = domain_service(OutcomeReviewService, db_session, access)
        reviews = (
            await outcome_service.list(person_id=person_id, limit=LIST_LIMIT, cursor=None)
        ).items
        distance = await outcome_service.distance(person_id)
        charts = [distance_chart(d, distance.domains[d]) for d in DOMAINS] if reviews else []

    organisations = {o.id: o.name for o in await queries.organisations(db_session, actor)}
    people_ids = {e.key_worker_id for e in episodes if e.key_worker_id}
    people_ids |= {i.recorded_by for i in interventions if i.recorded_by}
    names = await queries.user_names(db_session, people_ids)
    current = max(episodes, key=lambda e: e.opened_at) if episodes else None
    episode = project(
        EpisodeView,
        readable,
        {
            "episode_id": current.id if current else None,
            "phase": current.phase if current else None,
            "key_worker_id": current.key_worker_id if current else None,
            "key_worker": names.get(current.key_worker_id) if current else None,
            "lead_organisation_id": current.lead_organisation_id if current else None,
            "lead_organisation": organisations.get(current.lead_organisation_id)
            if current and current.lead_organisation_id
            else None,
        },
    )
    contact = None
    # The key worker's organisation, named only when the viewer may see who the key worker is.
    if current and current.key_worker_id and "key_worker" not in episode.withheld:
        org_id = await db_session.scalar(
            select(Membership.organisation_id).where(
                Membership.tenant_id == actor.tenant_id,
                Membership.user_id == current.key_worker_id,
            )
        )
        contact = organisations.get(org_id) if org_id else None
    writable = await access.writable_categories(person_id)
    today = date.today()
    flags: list[str] = []
    if person.liberation_date and 0 <= (person.liberation_date - today).days <= 14:
        flags.append(f"Liberation in {(person.liberation_date - today).days} days")
    # The same due date as the task, with its year; gone once the assessment is recorded.
    if assessment := await queries.assessment_flag(db_session, actor.tenant_id, referrals, today):
        flags.append(assessment)
    if any(c.withdrawn_at for c in consents):
        flags.append("Consent withdrawn for some sharing")
    panels = await plugin_panels(request, db_session, actor, access, person_id, readable)
    return render(
        request,
        "pages/person.html",
        actor,
        person=person,
        current=current,
        episode=episode,
        flags=flags,
        timeline=interventions,
        by_category=by_category,
        categories=access.categories,
        readable=readable,
        shown={s: shown(s) for s in SECTION_CATEGORIES},
        episodes=episodes,
        referrals=referrals,
        consents=consents,
        plan=plan,
        reviews=reviews,
        charts=charts,
        domains=DOMAINS,
        panels=panels,
        section_words={k: v[1] for k, v in SECTION_WORDS.items()},
        notice=withheld_notice(
            {s: shown(s) for s in SECTION_CATEGORIES},
            [c for c in access.categories if c not in readable],
            contact,
        ),
        organisations=organisations,
        names=names,
        # Offer a form only when it can be sent: the same decision as the write's own check,
        # for this person (scope and consent included), not merely "somewhere in the protocol".
        can_write={
            "intervention": bool(writable & set(kinds.values())),
            "referral": RECORD_CATEGORIES["referral"] in writable,
            "review": RECORD_CATEGORIES["outcome_review"] in writable,
            "consent": RECORD_CATEGORIES["consent"] in writable,
            "plan": RECORD_CATEGORIES["recovery_plan"] in writable,
            "episode": RECORD_CATEGORIES["episode"] in writable,
            "liberation": RECORD_CATEGORIES["person.custody"] in writable,
            # Taking a case on allocates oneself: a decision the protocol names, not a write.
            "take_on": all(
                [
                    (await access.decide(ALLOCATION, "write", person_id)).allowed,
                    (await access.decide(SELF_ALLOCATION, "write", person_id)).allowed,
                ]
            ),
        },
        done=DONE_MESSAGES.get(done or ""),
        tenant_name=await queries.tenant_name(db_session, actor),
    )


# -- forms ------------------------------------------------------------------------------------


async def form_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    template: str,
    values: dict[str, str],
    errors: FormErrors,
    **context: Any,
) -> Template:
    # The form page reads only the person's identity line, through the audited service.
    actor = access.actor
    row, readable = await PersonService(session, access).get(person_id)
    person = project(PersonView, readable, row)
    return render(
        request,
        template,
        actor,
        person=person,
        values=values,
        errors=errors,
        back=person_url(actor, person_id),
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
        **context,
    )


def date_values(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {}
    return {
        f"{prefix}-day": str(day.day),
        f"{prefix}-month": str(day.month),
        f"{prefix}-year": str(day.year),
    }


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
    values = date_values("occurred_on", date.today())
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
    if day is not None and day > date.today():
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


@get(f"{PERSON}/liberation", include_in_schema=False)
async def liberation_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template:
    person, _ = await PersonService(db_session, access).get(person_id)
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/liberation_form.html",
        date_values("liberation_date", person.liberation_date),
        FormErrors(),
    )


@post(f"{PERSON}/liberation", include_in_schema=False)
async def liberation_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    day = parse_date(values, "liberation_date", errors, "Liberation date")

    async def save(data: PersonUpdate) -> None:
        await PersonService(db_session, access).update(person_id, data)

    if await save_form(
        db_session,
        {"liberation_date": day.isoformat() if day else None},
        PersonUpdate,
        errors,
        {"liberation_date": "Liberation date must be a real date"},
        save,
        "liberation_date",
    ):
        return Redirect(person_url(actor, person_id, "liberation"))
    return await form_page(
        request, access, db_session, person_id, "pages/liberation_form.html", values, errors
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
        date_values("received_on", date.today()),
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
    if day is not None and day > date.today():
        errors.add("received_on", "Date received must be today or in the past")
    received = None
    if day is not None and day != date.today():
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
        date_values("reviewed_on", date.today()),
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


@get(f"{PERSON}/consents/new", include_in_schema=False)
async def consent_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    state: State,
    person_id: FromPath[uuid.UUID],
) -> Template:
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/consent_form.html",
        {"lawful_basis": "consent"},
        FormErrors(),
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


@post(f"{PERSON}/consents/{{consent_id:uuid}}/withdraw", include_in_schema=False)
async def consent_withdraw(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    consent_id: FromPath[uuid.UUID],
) -> Redirect:
    values = form_values(await request.form())
    reason = values.get("reason") or None
    await ConsentService(db_session, access).withdraw(
        person_id, consent_id, ConsentWithdraw(reason=reason[:2000] if reason else None)
    )
    return Redirect(person_url(actor, person_id, "withdrawn") + "#consent")


HANDLERS = [
    person_page,
    intervention_form,
    intervention_submit,
    liberation_form,
    liberation_submit,
    referral_form,
    referral_submit,
    review_form,
    review_submit,
    consent_form,
    consent_submit,
    consent_withdraw,
]


PLAN_ACTION_MESSAGES = {
    "description": "Enter the action",
    "owner_organisation_id": "Select who owns the action",
    "due_on": "Enter a real due date",
}


async def plan_action_context(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    orgs = await queries.organisations(session, actor)
    return {"org_options": [(str(o.id), o.name) for o in orgs]}


@get(f"{PERSON}/plans/{{plan_id:uuid}}/actions/new", include_in_schema=False)
async def plan_action_form(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
) -> Template:
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/plan_action_form.html",
        {"owner_organisation_id": str(actor.organisation_id)},
        FormErrors(),
        plan_id=plan_id,
        **await plan_action_context(db_session, actor),
    )


@post(f"{PERSON}/plans/{{plan_id:uuid}}/actions/new", include_in_schema=False)
async def plan_action_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    if not values.get("description"):
        errors.add("description", PLAN_ACTION_MESSAGES["description"])
    if queries.parse_uuid(values.get("owner_organisation_id", "")) is None:
        errors.add("owner_organisation_id", PLAN_ACTION_MESSAGES["owner_organisation_id"])
    due = parse_date(values, "due_on", errors, "Due date")
    data = {
        "description": values.get("description"),
        "owner_organisation_id": values.get("owner_organisation_id"),
        "due_on": due.isoformat() if due else None,
    }

    async def save(action: PlanActionCreate) -> None:
        service = domain_service(PlanService, db_session, access)
        plan = await service.get(plan_id)
        if plan.person_id != person_id:
            raise not_found("Plan")
        await service.add_action(plan_id, action)

    if await save_form(
        db_session, data, PlanActionCreate, errors, PLAN_ACTION_MESSAGES, save, "description"
    ):
        return Redirect(person_url(actor, person_id, "plan_action") + "#plan")
    return await form_page(
        request,
        access,
        db_session,
        person_id,
        "pages/plan_action_form.html",
        values,
        errors,
        plan_id=plan_id,
        **await plan_action_context(db_session, actor),
    )


@post(f"{PERSON}/plans/{{plan_id:uuid}}/actions/{{action_id:uuid}}/done", include_in_schema=False)
async def plan_action_done(
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
    action_id: FromPath[uuid.UUID],
) -> Redirect:
    service = domain_service(PlanService, db_session, access)
    if (await service.get(plan_id)).person_id != person_id:
        raise not_found("Plan")
    await service.update_action(plan_id, action_id, PlanActionUpdate(completed=True))
    return Redirect(person_url(actor, person_id, "plan_action_done") + "#plan")


HANDLERS += [plan_action_form, plan_action_submit, plan_action_done]
