"""Assessments: screening, comprehensive and risk, by the acting partner, audited."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessments.models import Assessment, AssessmentKind
from core.assessments.schemas import RISK_FIELDS, AssessmentCreate, AssessmentOut, AssessmentUpdate
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.consents.services import CLOCK_SKEW, parse_time
from core.db.base import utcnow
from core.episodes.models import Episode
from core.errors import RuleViolation, not_found
from core.pagination import Page, keyset, page_of
from core.referrals.models import Referral


async def get_episode_row(
    session: AsyncSession, actor: Actor, episode_id: uuid.UUID, *, for_update: bool = False
) -> Episode:
    """The episode in the actor's tenant, or the same 404 whether absent or elsewhere."""
    stmt = select(Episode).where(Episode.tenant_id == actor.tenant_id, Episode.id == episode_id)
    episode = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if episode is None:
        raise not_found("Episode")
    return episode


async def get_referral_row(session: AsyncSession, actor: Actor, referral_id: uuid.UUID) -> Referral:
    """The referral in the actor's tenant, or the same 404 whether absent or elsewhere."""
    referral = await session.get(Referral, (actor.tenant_id, referral_id))
    if referral is None:
        raise not_found("Referral")
    return referral


def category_of(kind: str) -> str:
    return "risk" if kind == AssessmentKind.RISK else "substance_use"


def assessment_out(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut(
        id=assessment.id,
        person_id=assessment.person_id,
        kind=assessment.kind,
        category=assessment.category,
        organisation_id=assessment.organisation_id,
        referral_id=assessment.referral_id,
        episode_id=assessment.episode_id,
        completed_at=assessment.completed_at,
        completed_by=assessment.completed_by,
        summary=assessment.summary,
        risk_self_harm=assessment.risk_self_harm,
        risk_harm_to_others=assessment.risk_harm_to_others,
        risk_overdose=assessment.risk_overdose,
        created_at=assessment.created_at,
    )


def check_risk_levels(kind: str, levels: dict[str, object]) -> None:
    """A risk assessment rates all three risks; screening and comprehensive rate none."""
    for name in RISK_FIELDS:
        given = levels.get(name) is not None
        if kind == AssessmentKind.RISK and not given:
            raise RuleViolation(
                "A risk assessment must rate the risk of self-harm, of harm to others "
                "and of overdose",
                field=name,
            )
        if kind != AssessmentKind.RISK and given:
            raise RuleViolation(
                f"Risk levels belong to a risk assessment, not a {kind} assessment",
                field=name,
            )


class AssessmentService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def list(
        self,
        *,
        person_id: uuid.UUID | None,
        kind: AssessmentKind | None,
        referral_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[AssessmentOut]:
        stmt = select(Assessment).where(
            Assessment.tenant_id == self.actor.tenant_id,
            # Risk and substance-use assessments are shared differently: the row's category.
            self.access.rows_filter(Assessment.category, Assessment.person_id),
        )
        if person_id is not None:
            await self.access.visible_person(person_id)
            stmt = stmt.where(Assessment.person_id == person_id)
        if kind is not None:
            stmt = stmt.where(Assessment.kind == kind)
        if referral_id is not None:
            stmt = stmt.where(Assessment.referral_id == referral_id)
        stmt = keyset(
            stmt,
            [Assessment.completed_at, Assessment.id],
            cursor,
            limit,
            descending=True,
            convert=[parse_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda a: [a.completed_at.isoformat(), str(a.id)])
        record(
            self.session,
            self.actor,
            "list",
            "assessment",
            person_id=person_id,
            detail={
                "kind": kind,
                "referral_id": str(referral_id) if referral_id else None,
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(items=[assessment_out(a) for a in rows], next_cursor=next_cursor)

    async def get(self, assessment_id: uuid.UUID) -> Assessment:
        assessment = await self._row(assessment_id)
        await self.access.require(assessment.category, "read", assessment.person_id)
        record(
            self.session,
            self.actor,
            "read",
            "assessment",
            assessment.id,
            person_id=assessment.person_id,
        )
        await self.session.commit()
        return assessment

    async def create(self, data: AssessmentCreate) -> Assessment:
        person = await self.access.visible_person(data.person_id)
        await self.access.require(category_of(data.kind), "write", person.id)
        episode_id = data.episode_id
        if data.referral_id is not None:
            referral = await get_referral_row(self.session, self.actor, data.referral_id)
            if referral.person_id != person.id:
                raise RuleViolation("The referral is for a different person", field="referral_id")
            if episode_id is not None and episode_id != referral.episode_id:
                raise RuleViolation(
                    "The referral belongs to a different episode", field="episode_id"
                )
            episode_id = referral.episode_id  # an assessment of a referral is in its episode
        if episode_id is not None:
            episode = await get_episode_row(self.session, self.actor, episode_id)
            if episode.person_id != person.id:
                raise RuleViolation("The episode is for a different person", field="episode_id")
        now = utcnow()
        completed_at = data.completed_at or now
        if completed_at > now + CLOCK_SKEW:
            raise RuleViolation(
                "An assessment cannot be completed in the future", field="completed_at"
            )
        check_risk_levels(data.kind, msgspec.structs.asdict(data))
        assessment = Assessment(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            episode_id=episode_id,
            referral_id=data.referral_id,
            organisation_id=self.actor.organisation_id,
            kind=data.kind,
            category=category_of(data.kind),
            completed_at=completed_at,
            completed_by=self.actor.user_id,
            summary=data.summary.strip() if data.summary else None,
            risk_self_harm=data.risk_self_harm,
            risk_harm_to_others=data.risk_harm_to_others,
            risk_overdose=data.risk_overdose,
        )
        self.session.add(assessment)
        await self.session.flush()
        self.access.forget(person.id)
        record(
            self.session,
            self.actor,
            "create",
            "assessment",
            assessment.id,
            person_id=person.id,
            detail={"kind": assessment.kind, "category": assessment.category},
        )
        await self.session.commit()
        return assessment

    async def update(self, assessment_id: uuid.UUID, data: AssessmentUpdate) -> Assessment:
        assessment = await self._row(assessment_id)
        await self.access.require(assessment.category, "write", assessment.person_id)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if assessment.kind != AssessmentKind.RISK:
            check_risk_levels(assessment.kind, changes)
        if changes.get("summary"):
            changes["summary"] = changes["summary"].strip()
        for name, value in changes.items():
            setattr(assessment, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "assessment",
            assessment.id,
            person_id=assessment.person_id,
            detail={"fields": sorted(changes)},
        )
        await self.session.commit()
        return assessment

    async def _row(self, assessment_id: uuid.UUID) -> Assessment:
        assessment = await self.session.get(Assessment, (self.actor.tenant_id, assessment_id))
        if assessment is None:
            raise not_found("Assessment")
        return assessment
