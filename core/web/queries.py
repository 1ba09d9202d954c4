"""Read-only queries the pages need that the domain services do not offer.

Each list is audited like the services' lists. The caseload joins each person's latest
episode so that it can filter by phase, key worker and lead organisation in SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.accounts.models import Membership, User
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import (
    CUSTODY,
    EPISODE,
    PERSON_VIEW_CATEGORIES,
    EpisodeView,
    PersonView,
    project,
)
from core.episodes.models import Episode, Phase
from core.persons.models import Location, Person
from core.persons.services import like_escape
from core.tenancy.models import Organisation, Tenant

PAGE_SIZE = 25
SORTS = ("name", "liberation", "prison_number")
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

    def active(self) -> bool:
        return any(
            (
                self.q,
                self.location,
                self.phase,
                self.key_worker,
                self.organisation,
                self.liberation_within,
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


async def caseload(
    session: AsyncSession, access: Access, filters: CaseloadFilters, today: date | None = None
) -> Caseload:
    actor = access.actor
    today = today or date.today()
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
        term = like_escape(filters.q.lower())
        stmt = stmt.where(
            or_(
                Person.sort_name.like(f"%{term}%", escape="\\"),
                func.lower(Person.given_name + " " + Person.family_name).like(
                    f"%{term}%", escape="\\"
                ),
                Person.prison_number.like(f"{like_escape(filters.q.upper())}%", escape="\\"),
            )
        )
    # Filtering on a field is showing it: a person whose field is withheld never matches,
    # or the count would tell what the row does not show.
    custody = access.person_filter(CUSTODY, person_id=Person.id)
    episode = access.person_filter(EPISODE, person_id=Person.id)
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
        # Soonest first; people with no date come last on both databases. A withheld date
        # sorts as no date, so the order does not tell it either.
        liberation = case((custody, Person.liberation_date), else_=None)
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
            "page": page,
            "returned": len(rows),
            "via": "page",
        },
    )
    await session.commit()
    return Caseload(rows=rows, total=total, page=page, pages=pages, filters=filters)


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
