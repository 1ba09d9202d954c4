"""Reviewing the recovery plan, and changing the treatment goal at the review.

The specification reviews the plan with the person and records what changed; a goal that
changes at the review is added to the treatment goal history with the review's date and
reason, through the same service as the treatment panel's own goal form.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.access import Access
from core.errors import RuleViolation, not_found
from core.plans.schemas import ReviewCreate
from core.plans.services import CATEGORY as PLAN
from core.plans.services import PlanService
from core.treatment.models import CATEGORY as TREATMENT
from core.treatment.models import GOAL_LABELS
from core.treatment.schemas import GoalSet
from core.treatment.services import TreatmentService
from core.web.forms import FormErrors, convert, form_values, parse_date, save_form
from core.web.record.common import PERSON, date_values, form_page, person_url
from core.web.services import domain_service

URL = f"{PERSON}/plans/{{plan_id:uuid}}/review"
MESSAGES = {
    "notes": "Enter what was reviewed and agreed",
    "reviewed_at": "Enter the date of the review",
    "goal": "Select their treatment goal",
    "reason": "Enter why the goal is changing",
}


async def _page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    person_id: uuid.UUID,
    plan_id: uuid.UUID,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    plan = await domain_service(PlanService, session, access).get(plan_id)
    if plan.person_id != person_id:
        raise not_found("Plan")
    # The goal is offered only to those who may record it: the same check as the service's.
    writable = await access.writable_categories(person_id)
    current = None
    if TREATMENT in writable:
        history = await TreatmentService(session, access).history(person_id)
        current = history.current_goal.goal if history.current_goal else None
    return await form_page(
        request,
        access,
        session,
        person_id,
        "pages/plan_review_form.html",
        values,
        errors,
        plan=plan,
        can_set_goal=TREATMENT in writable,
        current_goal=current,
        goals=[("", "No change" if current else "Not set yet"), *GOAL_LABELS.items()],
    )


@get(URL, include_in_schema=False)
async def plan_review_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
) -> Template:
    values = date_values("reviewed_on", clock.today())
    return await _page(request, access, db_session, person_id, plan_id, values, FormErrors())


@post(URL, include_in_schema=False)
async def plan_review_submit(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    person_id: FromPath[uuid.UUID],
    plan_id: FromPath[uuid.UUID],
) -> Template | Redirect:
    values = form_values(await request.form())
    errors = FormErrors()
    day = parse_date(values, "reviewed_on", errors, "The date of the review")
    if day is None and "reviewed_on" not in errors:
        errors.add("reviewed_on", MESSAGES["reviewed_at"])
    elif day is not None and day > clock.today():
        errors.add("reviewed_on", "The date of the review must be today or in the past")
    if not values.get("notes"):
        errors.add("notes", MESSAGES["notes"])
    goal = values.get("goal") or None
    if goal and not values.get("reason"):
        errors.add("reason", MESSAGES["reason"])
    # Today's review is now; an earlier day's, midday UK time on that day.
    reviewed_at = (
        datetime.combine(day, time(12), clock.UK_TIME).astimezone(UTC)
        if day and day < clock.today()
        else None
    )
    review = {"notes": values.get("notes"), "reviewed_at": reviewed_at}
    change = (
        {
            "person_id": str(person_id),
            "goal": goal,
            "set_on": day.isoformat() if day else None,
            "reason": values.get("reason"),
        }
        if goal
        else None
    )
    # Both are checked before either is saved, so a bad goal never leaves a review behind.
    goal_set = convert(change, GoalSet, errors, MESSAGES) if change and not errors else None
    plans = domain_service(PlanService, db_session, access)

    async def save(data: ReviewCreate) -> None:
        plan = await plans.get(plan_id)
        if plan.person_id != person_id:
            raise not_found("Plan")
        if plan.status == "closed":
            raise RuleViolation("This plan is closed; a review needs an open plan", field="notes")
        # The review's own check first: a goal is never saved for a review that is refused.
        await access.require(PLAN, "write", person_id)
        if goal_set is not None:
            await access.require(TREATMENT, "write", person_id)
            await TreatmentService(db_session, access).set_goal(goal_set)
        await plans.add_review(plan_id, data)

    if (change is None or goal_set is not None) and await save_form(
        db_session, review if not errors else None, ReviewCreate, errors, MESSAGES, save, "notes"
    ):
        return Redirect(person_url(access.actor, person_id, "plan_review") + "#plan")
    if "reviewed_at" in errors:  # the service names its own field; the form's is the date
        errors["reviewed_on"] = errors.pop("reviewed_at")
    return await _page(request, access, db_session, person_id, plan_id, values, errors)
