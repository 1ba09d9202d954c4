"""Outcome reviews on the seven Low Moss domains, distance travelled, and which are due.

Reviews are "a joint process involving an individual and their key worker ... carried out
at least monthly in prison" (Low Moss PSP); distance travelled is the change across them.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date
from typing import Any

import msgspec
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.episodes.models import Episode, Phase
from core.errors import RuleViolation, not_found
from core.interventions.services import get_episode_row, get_organisation_row
from core.outcomes.models import DOMAINS, OutcomeReview
from core.outcomes.schemas import (
    DistanceTravelled,
    DomainDistance,
    OutcomeReviewCreate,
    OutcomeReviewOut,
    OutcomeReviewUpdate,
    ReviewDue,
    ScorePoint,
)
from core.pagination import Page, keyset, page_of
from core.persons.models import Location, Person
from core.vocabulary import RECORD_CATEGORIES

CATEGORY = RECORD_CATEGORIES["outcome_review"]


def one_month_before(day: date) -> date:
    """The same day of the previous month, or that month's last day (31 March -> 28/29 Feb)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_out(row: OutcomeReview) -> OutcomeReviewOut:
    return OutcomeReviewOut(
        id=row.id,
        person_id=row.person_id,
        episode_id=row.episode_id,
        organisation_id=row.organisation_id,
        reviewed_on=row.reviewed_on,
        setting=row.setting,
        reviewed_by=row.reviewed_by,
        notes=row.notes,
        created_at=row.created_at,
        **{domain: getattr(row, domain) for domain in DOMAINS},
    )


def distance_travelled(person_id: uuid.UUID, reviews: list[OutcomeReview]) -> DistanceTravelled:
    """``reviews`` oldest first. Every domain is present, empty when there are no reviews."""
    domains: dict[str, DomainDistance] = {}
    for domain in DOMAINS:
        series = [ScorePoint(reviewed_on=r.reviewed_on, score=getattr(r, domain)) for r in reviews]
        first = series[0].score if series else None
        latest = series[-1].score if series else None
        change = latest - first if first is not None and latest is not None else None
        domains[domain] = DomainDistance(first=first, latest=latest, change=change, series=series)
    return DistanceTravelled(
        person_id=person_id,
        reviews=len(reviews),
        first_reviewed_on=reviews[0].reviewed_on if reviews else None,
        latest_reviewed_on=reviews[-1].reviewed_on if reviews else None,
        domains=domains,
    )


async def reviews_due(session: AsyncSession, tenant_id: uuid.UUID, today: date) -> list[ReviewDue]:
    """Persons in custody with an open episode whose latest review since the episode opened
    is older than one month, or who have had none and the episode opened over a month ago.

    "Older than one month" is strict: a review on 15 January is due again on 16 February.
    Reviews dated after ``today`` are ignored, so the answer for a past day is stable.
    """
    cutoff = one_month_before(today)
    latest = (
        select(
            OutcomeReview.person_id.label("person_id"),
            func.max(OutcomeReview.reviewed_on).label("last_reviewed_on"),
        )
        .where(OutcomeReview.tenant_id == tenant_id, OutcomeReview.reviewed_on <= today)
        .group_by(OutcomeReview.person_id)
        .subquery()
    )
    stmt = (
        select(Person.id, Episode.id, Episode.opened_at, latest.c.last_reviewed_on)
        .join(Episode, (Episode.tenant_id == Person.tenant_id) & (Episode.person_id == Person.id))
        .outerjoin(latest, latest.c.person_id == Person.id)
        .where(
            Person.tenant_id == tenant_id,
            Person.location == Location.IN_CUSTODY,
            Episode.closed_at.is_(None),
            Episode.phase != Phase.CLOSED,
        )
        # A person's most recently opened episode comes first.
        .order_by(Person.sort_name, Person.id, Episode.opened_at.desc())
    )
    due: list[ReviewDue] = []
    seen: set[uuid.UUID] = set()
    for person_id, episode_id, opened_at, last in (await session.execute(stmt)).all():
        if person_id in seen:
            continue
        seen.add(person_id)
        opened_on = opened_at.date()
        since_opened = last if last is not None and last >= opened_on else None
        if (since_opened if since_opened is not None else opened_on) < cutoff:
            due.append(
                ReviewDue(
                    person_id=person_id,
                    episode_id=episode_id,
                    last_reviewed_on=since_opened,
                    episode_opened_on=opened_on,
                )
            )
    return due


def check_reviewed_on(reviewed_on: date, person: Person) -> None:
    if reviewed_on > clock.today():
        raise RuleViolation("A review cannot be dated in the future", field="reviewed_on")
    if reviewed_on < person.date_of_birth:
        raise RuleViolation(
            "The review is dated before the person's date of birth", field="reviewed_on"
        )


def clean_notes(notes: str | None) -> str | None:
    if notes is None:
        return None
    return notes.strip() or None


class OutcomeReviewService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def list(
        self, *, person_id: uuid.UUID | None, limit: int, cursor: str | None
    ) -> Page[OutcomeReviewOut]:
        stmt = select(OutcomeReview).where(
            OutcomeReview.tenant_id == self.actor.tenant_id,
            self.access.person_filter(CATEGORY, person_id=OutcomeReview.person_id),
        )
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(OutcomeReview.person_id == person_id)
        stmt = keyset(
            stmt,
            [OutcomeReview.reviewed_on, OutcomeReview.id],
            cursor,
            limit,
            descending=True,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.reviewed_on.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "outcome_review",
            person_id=person_id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[review_out(r) for r in rows], next_cursor=next_cursor)

    async def get(self, review_id: uuid.UUID) -> OutcomeReview:
        row = await self._row(review_id)
        await self.access.require(CATEGORY, "read", row.person_id)
        record(self.session, self.actor, "read", "outcome_review", row.id, person_id=row.person_id)
        await self.session.commit()
        return row

    async def create(self, data: OutcomeReviewCreate) -> OutcomeReview:
        person = await self.access.visible_person(data.person_id)
        await self.access.require(CATEGORY, "write", person.id)
        if data.episode_id is not None:
            await get_episode_row(self.session, self.actor, data.episode_id, person)
        check_reviewed_on(data.reviewed_on, person)
        row = OutcomeReview(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=data.episode_id,
            organisation_id=self.actor.organisation_id,
            reviewed_on=data.reviewed_on,
            setting=data.setting,
            reviewed_by=self.actor.user_id,
            notes=clean_notes(data.notes),
            **{domain: getattr(data, domain) for domain in DOMAINS},
        )
        self.session.add(row)
        await self.session.flush()
        self.access.forget(person.id)
        record(self.session, self.actor, "create", "outcome_review", row.id, person_id=person.id)
        await self.session.commit()
        return row

    async def update(self, review_id: uuid.UUID, data: OutcomeReviewUpdate) -> OutcomeReview:
        row = await self._row(review_id, for_update=True)
        await self.access.require(CATEGORY, "write", row.person_id)
        if row.organisation_id != self.actor.organisation_id:
            owner = await get_organisation_row(self.session, self.actor, row.organisation_id)
            raise PermissionDeniedException(
                detail=f"Only {owner.name} can change its own outcome reviews"
            )
        changes: dict[str, Any] = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if "notes" in changes:
            changes["notes"] = clean_notes(changes["notes"])
        for name, value in changes.items():
            setattr(row, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "outcome_review",
            row.id,
            person_id=row.person_id,
            detail={"fields": sorted(changes)},
        )
        await self.session.commit()
        return row

    async def distance(self, person_id: uuid.UUID) -> DistanceTravelled:
        # Scores across reviews are the reviews' own content: the same category.
        await self.access.require(CATEGORY, "read", person_id)
        person = await self.access.visible_person(person_id)
        reviews = list(
            (
                await self.session.scalars(
                    select(OutcomeReview)
                    .where(
                        OutcomeReview.tenant_id == self.actor.tenant_id,
                        OutcomeReview.person_id == person.id,
                    )
                    .order_by(OutcomeReview.reviewed_on, OutcomeReview.created_at, OutcomeReview.id)
                )
            ).all()
        )
        record(
            self.session,
            self.actor,
            "read",
            "distance_travelled",
            person.id,
            person_id=person.id,
            detail={"reviews": len(reviews)},
        )
        await self.session.commit()
        return distance_travelled(person.id, reviews)

    async def _row(self, review_id: uuid.UUID, *, for_update: bool = False) -> OutcomeReview:
        row = await self.session.get(
            OutcomeReview, (self.actor.tenant_id, review_id), with_for_update=for_update
        )
        if row is None:
            raise not_found("Outcome review")
        return row
