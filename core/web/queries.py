"""Read-only queries the pages need that the domain services do not offer.

Each list is audited like the services' lists. The caseload joins each person's latest
episode so that it can filter by phase, key worker and lead organisation in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import clock
from core.accounts.models import Membership, User
from core.assessments.models import Assessment, AssessmentKind
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import (
    CUSTODY,
    EPISODE,
    IDENTITY,
    PERSON_VIEW_CATEGORIES,
    EpisodeView,
    PersonView,
    project,
)
from core.episodes.models import Episode, Phase
from core.persons.models import Location, Person
from core.persons.services import person_search
from core.referrals.models import ReferralDecision
from core.tenancy.models import Organisation, Tenant
from core.web.filters import govuk_date

PAGE_SIZE = 25
SORTS = ("name", "liberation", "prison_number")
# "mine": the viewer's own people (assigned to them or led by their organisation); "all":
# the partnership's list. The page opens on "mine" when the viewer has anyone there.
PEOPLE = ("mine", "all")
LIBERATION_WINDOWS = (7, 14, 28, 56)


@dataclass(frozen=True)
class CaseloadFilters:
    q: str = ""
    location: str = ""
    phase: str = ""
    key_worker: str = ""  # "me", a user id, or ""
    organisation: str = ""  # a lead organisation id, or ""
    liberation_within: int | None = None  # days from today
    sort: str = "name"
    page: int = 1
    people: str = "all"
    # People whose current episode is closed are shown only when asked for.
    closed: bool = False

    def active(self) -> bool:
        return any(
            (
                self.q,
                self.location,
                self.phase,
                self.key_worker,
                self.organisation,
                self.liberation_within,
                self.closed,
            )
        )


@dataclass
class CaseloadRow:
    # Projected (core.authz.fields): the raw rows never reach the template.
    person: PersonView
    episode: EpisodeView


@dataclass
class Caseload:
    rows: list[CaseloadRow]
    total: int
    page: int
    pages: int
    filters: CaseloadFilters
    errors: dict[str, str] = field(default_factory=dict)


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def latest_episode_id() -> Any:
    """Correlated subquery: the id of the person's most recently opened episode."""
    inner = aliased(Episode)
    return (
        select(inner.id)
        .where(inner.tenant_id == Person.tenant_id, inner.person_id == Person.id)
        .order_by(inner.opened_at.desc(), inner.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )


def _closed() -> ColumnElement[bool]:
    return or_(Episode.closed_at.is_not(None), Episode.phase == Phase.CLOSED)


def _mine(actor: Actor) -> ColumnElement[bool]:
    """An open episode the viewer is key worker for, or that their organisation leads."""
    return and_(
        Episode.id.is_not(None),
        not_(_closed()),
        or_(
            Episode.key_worker_id == actor.user_id,
            Episode.lead_organisation_id == actor.organisation_id,
        ),
    )


def _people(access: Access) -> Select[Any]:
    return (
        select(Person.id)
        .select_from(Person)
        .outerjoin(
            Episode,
            (Episode.tenant_id == Person.tenant_id) & (Episode.id == latest_episode_id()),
        )
        .where(
            Person.tenant_id == access.actor.tenant_id,
            access.person_filter("identity", person_id=Person.id),
        )
    )


async def has_own_people(session: AsyncSession, access: Access) -> bool:
    """Whether the viewer's own caseload ("mine") has anyone the protocol shows them."""
    stmt = _people(access).where(
        _mine(access.actor), access.person_filter(EPISODE, person_id=Person.id)
    )
    return await session.scalar(select(exists(stmt))) or False


def sees_no_person(access: Access) -> bool:
    """No grant reads anyone's identity (an analyst): the caseload would always be empty."""
    return not access.can("identity", "read")


async def caseload(
    session: AsyncSession, access: Access, filters: CaseloadFilters, today: date | None = None
) -> Caseload:
    actor = access.actor
    today = today or clock.today()
    key_worker = aliased(User)
    lead = aliased(Organisation)
    stmt = (
        select(
            Person,
            Episode.id.label("episode_id"),
            Episode.phase,
            Episode.key_worker_id,
            key_worker.display_name.label("key_worker"),
            Episode.lead_organisation_id,
            lead.name.label("lead_organisation"),
        )
        .select_from(Person)
        .outerjoin(
            Episode,
            (Episode.tenant_id == Person.tenant_id) & (Episode.id == latest_episode_id()),
        )
        .outerjoin(key_worker, key_worker.id == Episode.key_worker_id)
        .outerjoin(
            lead, (lead.tenant_id == Episode.tenant_id) & (lead.id == Episode.lead_organisation_id)
        )
        .where(
            Person.tenant_id == actor.tenant_id,
            # The caseload is everyone whose identity the protocol lets this user read.
            access.person_filter("identity", person_id=Person.id),
        )
    )
    if filters.q:
        stmt = stmt.where(person_search(filters.q))
    # Filtering on a field is showing it: a person whose field is withheld never matches,
    # or the count would tell what the row does not show.
    custody = access.person_filter(CUSTODY, person_id=Person.id)
    episode = access.person_filter(EPISODE, person_id=Person.id)
    if filters.people == "mine":
        stmt = stmt.where(_mine(actor), episode)
    if not filters.closed:
        # A withheld episode is not known to be closed, so it is not left out for being so.
        stmt = stmt.where(not_(and_(Episode.id.is_not(None), _closed(), episode)))
    if filters.location in {loc.value for loc in Location}:
        stmt = stmt.where(Person.location == filters.location, custody)
    if filters.phase in {p.value for p in Phase}:
        stmt = stmt.where(Episode.phase == filters.phase, episode)
    if filters.key_worker == "me":
        stmt = stmt.where(Episode.key_worker_id == actor.user_id, episode)
    elif (worker_id := parse_uuid(filters.key_worker)) is not None:
        stmt = stmt.where(Episode.key_worker_id == worker_id, episode)
    if (organisation_id := parse_uuid(filters.organisation)) is not None:
        stmt = stmt.where(Episode.lead_organisation_id == organisation_id, episode)
    if filters.liberation_within:
        stmt = stmt.where(
            Person.liberation_date >= today,
            Person.liberation_date <= today + timedelta(days=filters.liberation_within),
            custody,
        )
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if filters.sort == "liberation":
        # Soonest first from today; people with no date, or one already past (released, or
        # never updated), come last on both databases. A withheld date sorts as no date, so
        # the order does not tell it either.
        liberation = case(
            (and_(custody, Person.liberation_date >= today), Person.liberation_date), else_=None
        )
        order = [liberation.is_(None), liberation, Person.sort_name]
    elif filters.sort == "prison_number":
        order = [Person.prison_number.is_(None), Person.prison_number, Person.sort_name]
    else:
        order = [Person.sort_name]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    result = await session.execute(
        stmt.order_by(*order, Person.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    found = result.all()
    readable = await access.readable_for([r.Person.id for r in found], PERSON_VIEW_CATEGORIES)
    rows = [
        CaseloadRow(
            person=project(PersonView, readable.get(r.Person.id, set()), r.Person),
            episode=project(EpisodeView, readable.get(r.Person.id, set()), r._mapping),
        )
        for r in found
    ]
    record(
        session,
        actor,
        "list",
        "person",
        detail={
            "q": filters.q or None,
            "location": filters.location or None,
            "phase": filters.phase or None,
            "key_worker": filters.key_worker or None,
            "organisation": filters.organisation or None,
            "liberation_within": filters.liberation_within,
            "people": filters.people,
            "closed": filters.closed,
            "page": page,
            "returned": len(rows),
            "via": "page",
        },
    )
    await session.commit()
    return Caseload(rows=rows, total=total, page=page, pages=pages, filters=filters)


async def assessment_flag(
    session: AsyncSession, tenant_id: uuid.UUID, referrals: Sequence[Any], today: date
) -> str | None:
    """The record's assessment tag, from the referrals the viewer may see: the latest one not
    declined, until its comprehensive assessment is recorded. The date is the referral's own
    ``assessment_due_on``, the one its task carries (core/jobs/reminders.py)."""
    live = [r for r in referrals if r.decision != ReferralDecision.DECLINED]
    if not live:
        return None
    current = max(live, key=lambda r: r.received_at)
    done = await session.scalar(
        select(
            exists().where(
                Assessment.tenant_id == tenant_id,
                Assessment.referral_id == current.id,
                Assessment.kind == AssessmentKind.COMPREHENSIVE,
            )
        )
    )
    if done:
        return None
    due = govuk_date(current.assessment_due_on)
    if current.assessment_due_on < today:
        return f"Comprehensive assessment overdue (due {due})"
    return f"Comprehensive assessment due {due}"


async def tenant_name(session: AsyncSession, actor: Actor) -> str:
    return await session.scalar(select(Tenant.name).where(Tenant.id == actor.tenant_id)) or ""


async def organisations(session: AsyncSession, actor: Actor) -> list[Organisation]:
    return list(
        (
            await session.scalars(
                select(Organisation)
                .where(Organisation.tenant_id == actor.tenant_id)
                .order_by(Organisation.name)
            )
        ).all()
    )


async def members(session: AsyncSession, actor: Actor) -> list[tuple[uuid.UUID, str, uuid.UUID]]:
    """(user id, display name, organisation id) of the partnership's active members."""
    rows = await session.execute(
        select(User.id, User.display_name, Membership.organisation_id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.tenant_id == actor.tenant_id,
            Membership.is_active.is_(True),
            User.is_active.is_(True),
        )
        .order_by(User.display_name)
    )
    return [(uid, name, org) for uid, name, org in rows.all()]


async def user_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows.all()}


async def person_names(
    session: AsyncSession, access: Access, person_ids: set[uuid.UUID], via: str
) -> dict[uuid.UUID, str]:
    """The "Family, Given" name of each of these people whose identity this user may read.

    A list that names people (the mentoring schedule, family days) reads their identity,
    so the names it shows are audited like the caseload's; someone not shared is left out.
    """
    readable = await access.readable_for(list(person_ids), [IDENTITY])
    shown = [pid for pid, categories in readable.items() if IDENTITY in categories]
    if not shown:
        return {}
    rows = await session.execute(
        select(Person.id, Person.family_name, Person.given_name).where(
            Person.tenant_id == access.actor.tenant_id, Person.id.in_(shown)
        )
    )
    names = {pid: f"{family}, {given}" for pid, family, given in rows.all()}
    record(
        session,
        access.actor,
        "list",
        "person",
        detail={"via": via, "returned": len(names), "person_ids": sorted(map(str, names))},
    )
    await session.commit()
    return names
