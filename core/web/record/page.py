"""/t/{tenant}/persons/{id}: one person's record.

The page calls the domain services directly (each audits its own read). Which parts the
viewer may see comes from the sharing engine; a withheld category is named with a plain
notice, never silently left out, so a worker knows to ask rather than assume.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import EpisodeView, PersonView, project
from core.authz.relations import ALLOCATION, SELF_ALLOCATION
from core.consents.services import ConsentService
from core.episodes.services import EpisodeService
from core.interventions.services import InterventionService
from core.outcomes.models import DOMAINS
from core.outcomes.services import OutcomeReviewService
from core.persons.services import PersonService
from core.plans.services import PlanService
from core.referrals.services import ReferralService
from core.vocabulary import RECORD_CATEGORIES
from core.web import queries
from core.web.charts import distance_chart
from core.web.context import render
from core.web.record.checklist_page import checklist_view
from core.web.record.common import DONE_MESSAGES, LIST_LIMIT, PERSON
from core.web.record.contact import person_contact
from core.web.record.sections import (
    SECTION_CATEGORIES,
    SECTION_WORDS,
    plugin_panels,
    withheld_notice,
)
from core.web.services import domain_service


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
    people_ids |= {c.withdrawn_by for c in consents if c.withdrawn_by}
    if plan is not None:
        people_ids |= {r.reviewed_by for r in plan.reviews if r.reviewed_by}
    names = await queries.user_names(db_session, people_ids)
    current = max(episodes, key=lambda e: e.opened_at) if episodes else None
    who = await person_contact(db_session, actor, person_id, organisations)
    episode = project(
        EpisodeView,
        readable,
        {
            "episode_id": current.id if current else None,
            "phase": current.phase if current else None,
            **who.as_fields(),
        },
    )
    # The key worker's organisation, named only when the viewer may see who the key worker is.
    contact = who.key_worker_organisation if "key_worker" not in episode.withheld else None
    # A withdrawn consent already given again (same information, same recipient) offers no
    # second "record consent again".
    in_force = {
        (c.category, c.recipient_organisation_id, c.recipient_kind) for c in consents if c.active
    }
    regiven = {
        c.id
        for c in consents
        if c.withdrawn_at
        and (c.category, c.recipient_organisation_id, c.recipient_kind) in in_force
    }
    writable = await access.writable_categories(person_id)
    today = clock.today()
    flags: list[str] = []
    if person.liberation_date and 0 <= (person.liberation_date - today).days <= 14:
        flags.append(f"Liberation in {(person.liberation_date - today).days} days")
    # The same due date as the task, with its year; gone once the assessment is recorded.
    if assessment := await queries.assessment_flag(db_session, actor.tenant_id, referrals, today):
        flags.append(assessment)
    if any(c.withdrawn_at for c in consents):
        flags.append("Consent withdrawn for some sharing")
    panels = await plugin_panels(request, db_session, actor, access, person_id, readable)
    # The release checklist, once there is a liberation date to get ready for.
    checklist = (
        await checklist_view(request, db_session, access, person_id, writable)
        if person.liberation_date
        else None
    )
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
        checklist=checklist,
        section_words={k: v[1] for k, v in SECTION_WORDS.items()},
        notice=withheld_notice(
            {s: shown(s) for s in SECTION_CATEGORIES},
            [c for c in access.categories if c not in readable],
            contact,
        ),
        organisations=organisations,
        names=names,
        regiven=regiven,
        key_worker_organisation=who.key_worker_organisation,
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
