"""What every part of the record page shares: its path, its links back, and the form frame."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Request
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import PersonView, project
from core.persons.services import PersonService
from core.web import queries
from core.web.context import render
from core.web.forms import (
    FormErrors,
)

PERSON = "/t/{tenant:str}/persons/{person_id:uuid}"
LIST_LIMIT = 50


DONE_MESSAGES = {
    "intervention": "Intervention logged",
    "referral": "Referral recorded",
    "review": "Outcome review recorded",
    "consent": "Consent recorded",
    "withdrawn": "Consent withdrawn. Sharing under it stopped at once",
    "liberation": "Liberation date saved",
    "plan_action": "Plan action added",
    "plan_review": "Plan review recorded",
    "plan_action_done": "Plan action marked as done",
    "phase": "Phase changed",
    "key_worker": "You are now the key worker",
    "decision": "Decision recorded",
}


def person_url(actor: Actor, person_id: uuid.UUID, done: str | None = None) -> str:
    url = f"/t/{actor.tenant_slug}/persons/{person_id}"
    return f"{url}?done={done}" if done else url


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
