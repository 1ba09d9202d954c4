"""A person's release checklist: what must be in place before liberation, from core and
from every plugin the partnership has switched on, each line only if its category is
shared with the viewer (Low Moss: housing before liberation; Leicester: the recovery plan
handed to the community provider; the specification: naloxone on release)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.access import Access
from core.authz.fields import project
from core.hookspecs import hookimpl
from core.hooktypes import ChecklistItem, ChecklistSource
from core.persons.models import Person
from core.plans.models import PlanStatus, RecoveryPlan
from core.plugins import collect, tenant_hook

log = logging.getLogger("throughcare.checklist")

# The GOV.UK task list's statuses.
COMPLETED = "Completed"
IN_PROGRESS = "In progress"
NOT_STARTED = "Not started"
CANNOT_START = "Cannot start yet"
# A line that is not done and says why it cannot be done yet.
NO_PLAN = "No recovery plan yet"
BLOCKED_DETAILS = frozenset({NO_PLAN, "Needs a liberation date"})


class ChecklistPerson(msgspec.Struct, frozen=True):
    """The person as a checklist source sees them: projected for the viewer, so a line of
    one category cannot carry another's field (a housing line's due date is the liberation
    date, which is custody)."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    given_name: str | None
    family_name: str | None
    location: str | None
    reception_date: date | None
    liberation_date: date | None
    withheld: list[str] = []


class ReleaseChecklist(msgspec.Struct):
    person_id: uuid.UUID
    liberation_date: date | None  # null when custody is not shared with the viewer
    items: list[ChecklistItem]
    done: int
    # Categories whose lines are not shared with the viewer, and sources that failed.
    withheld: list[str]
    unavailable: list[str]
    # Each line's GOV.UK task-list status (see item_status), by its key.
    statuses: dict[str, str] = {}


async def liberation_date_line(
    session: AsyncSession, person: ChecklistPerson
) -> list[ChecklistItem]:
    return [
        ChecklistItem(
            key="liberation_date",
            label="Liberation date known",
            done=person.liberation_date is not None,
            category="custody",
            due=person.liberation_date,
        )
    ]


async def plan_handover_line(session: AsyncSession, person: ChecklistPerson) -> list[ChecklistItem]:
    plan = await session.scalar(
        select(RecoveryPlan)
        .where(
            RecoveryPlan.tenant_id == person.tenant_id,
            RecoveryPlan.person_id == person.id,
            RecoveryPlan.status != PlanStatus.CLOSED,
        )
        .order_by(RecoveryPlan.created_at.desc())
        .limit(1)
    )
    named = plan is not None and plan.handover_organisation_id is not None
    return [
        ChecklistItem(
            key="plan_handover",
            label="Recovery plan to be handed to a community provider (with consent)",
            done=named,
            category="substance_use",
            detail=None if plan else NO_PLAN,
            due=person.liberation_date,
        )
    ]


def item_status(item: ChecklistItem, liberation: date | None, custody_shown: bool) -> str:
    """Where a line stands. Everything waits on the liberation date (each line is due by it);
    a line not done but with a detail says how far it has got ("Referral made"), unless the
    detail says nothing has been recorded ("No housing record") or what it waits on."""
    if item.done:
        return COMPLETED
    waiting = custody_shown and liberation is None and item.key != "liberation_date"
    if waiting or item.detail in BLOCKED_DETAILS:
        return CANNOT_START
    if item.detail and not item.detail.startswith("No "):
        return IN_PROGRESS
    return NOT_STARTED


@hookimpl
def register_release_checklist() -> list[ChecklistSource]:
    return [
        ChecklistSource(name="liberation", category="custody", answer=liberation_date_line),
        ChecklistSource(name="recovery_plan", category="substance_use", answer=plan_handover_line),
    ]


async def release_checklist(
    session: AsyncSession, access: Access, pm: Any, person_id: uuid.UUID
) -> ReleaseChecklist:
    row = await access.visible_person(person_id)
    readable = await access.readable_categories(person_id)
    person = project(ChecklistPerson, readable, row)
    hook = tenant_hook(pm, "register_release_checklist", access.actor.enabled_plugins)
    sources: list[ChecklistSource] = [s for answer in collect(hook) for s in answer]
    items: list[ChecklistItem] = []
    withheld: set[str] = set()
    unavailable: list[str] = []
    for source in sources:
        if source.category not in readable:
            withheld.add(source.category)
            continue
        try:
            lines = await source.answer(session, person)
        except Exception:
            log.exception("release checklist source %r failed", source.name)
            unavailable.append(source.name)
            continue
        # A source may only speak for its own category.
        items.extend(line for line in lines if line.category == source.category)
    record(
        session,
        access.actor,
        "read",
        "release_checklist",
        person_id=person_id,
        detail={"categories": sorted({i.category for i in items})},
    )
    await session.commit()
    return ReleaseChecklist(
        person_id=person_id,
        liberation_date=person.liberation_date,
        items=items,
        done=sum(item.done for item in items),
        withheld=sorted(withheld),
        unavailable=unavailable,
        statuses={
            item.key: item_status(
                item, person.liberation_date, "liberation_date" not in person.withheld
            )
            for item in items
        },
    )


async def complete_checklists(
    session: AsyncSession, pm: Any, tenant: Any, people: Iterable[Person]
) -> set[uuid.UUID]:
    """The people whose release checklist is complete, every line as the partnership has it
    (no viewer: the system's own reading, for tasks that close themselves). A source that
    fails leaves the checklist incomplete, so a task is never closed on a guess."""
    hook = tenant_hook(pm, "register_release_checklist", tenant.plugins)
    sources: list[ChecklistSource] = [s for answer in collect(hook) for s in answer]
    complete: set[uuid.UUID] = set()
    for row in people:
        person = ChecklistPerson(
            tenant_id=row.tenant_id,
            id=row.id,
            given_name=row.given_name,
            family_name=row.family_name,
            location=row.location,
            reception_date=row.reception_date,
            liberation_date=row.liberation_date,
        )
        lines: list[ChecklistItem] = []
        try:
            for source in sources:
                answer = await source.answer(session, person)
                lines.extend(line for line in answer if line.category == source.category)
        except Exception:
            log.exception("release checklist of %s could not be read", row.id)
            continue
        if lines and all(line.done for line in lines):
            complete.add(row.id)
    return complete
