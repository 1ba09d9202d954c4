"""Building, checking and recording the episode summary.

What goes in is decided per category: the sender must be able to read it for the person
(the protocol) and a consent in force must name the recipient or its kind (the person's
say). Identity heads the summary whenever anything at all is shared: a summary that does
not say whom it is about cannot be used, and the recipient already knows the person.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.assessments.models import Assessment
from core.audit.services import record
from core.authz.access import Access
from core.consents.services import active_consents
from core.episodes.models import Episode
from core.errors import Conflict, RuleViolation, not_found
from core.interventions.models import Intervention
from core.onward_referrals.models import OnwardReferral
from core.outcomes.models import DOMAINS, OutcomeReview
from core.summaries.models import RECIPIENT_KINDS, SummarySending
from core.summaries.schemas import (
    AssessmentLine,
    EpisodeSummary,
    InterventionCount,
    OutcomeChange,
    ReferralLine,
    SendingOut,
    SummarySend,
    TreatmentLine,
)
from core.tenancy.models import Organisation
from core.treatment.models import CATEGORY as TREATMENT
from core.treatment.models import TreatmentGoal, TreatmentModality
from core.vocabulary import RECORD_CATEGORIES

OUTCOMES = RECORD_CATEGORIES["outcome_review"]


def content_hash(summary: EpisodeSummary) -> str:
    body = msgspec.structs.replace(summary, content_sha256="")
    return hashlib.sha256(msgspec.json.encode(body)).hexdigest()


class SummaryService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def recipients(self) -> list[Organisation]:
        return list(
            (
                await self.session.scalars(
                    select(Organisation)
                    .where(
                        Organisation.tenant_id == self.actor.tenant_id,
                        Organisation.kind.in_(RECIPIENT_KINDS),
                    )
                    .order_by(Organisation.name)
                )
            ).all()
        )

    async def build(self, episode_id: uuid.UUID, recipient_id: uuid.UUID | None) -> EpisodeSummary:
        summary = await self._build(episode_id, recipient_id)
        record(
            self.session,
            self.actor,
            "read",
            "episode_summary",
            episode_id,
            person_id=summary.person_id,
            detail={"recipient": str(recipient_id), "shared": summary.shared},
        )
        await self.session.commit()
        return summary

    async def send(self, episode_id: uuid.UUID, data: SummarySend) -> SendingOut:
        summary = await self._build(episode_id, data.recipient_organisation_id)
        if not summary.shared:
            raise RuleViolation(
                f"Nothing can be sent to {summary.recipient_organisation}: the person has "
                "not consented to share any category you may read with them",
                field="recipient_organisation_id",
            )
        if summary.content_sha256 != data.content_sha256:
            raise Conflict(
                detail="The summary changed after you read it: read it again before sending"
            )
        row = SummarySending(
            tenant_id=self.actor.tenant_id,
            person_id=summary.person_id,
            episode_id=episode_id,
            organisation_id=self.actor.organisation_id,
            recipient_organisation_id=data.recipient_organisation_id,
            recipient_name=data.recipient_name.strip(),
            categories=summary.shared,
            content_sha256=summary.content_sha256,
            sent_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "share",
            "episode_summary",
            row.id,
            person_id=summary.person_id,
            detail={
                "recipient": str(data.recipient_organisation_id),
                "categories": summary.shared,
                "sha256": summary.content_sha256,
            },
        )
        out = sending_out(row)
        await self.session.commit()
        return out

    async def sendings(self, person_id: uuid.UUID) -> list[SendingOut]:
        await self.access.visible_person(person_id)
        rows = (
            await self.session.scalars(
                select(SummarySending)
                .where(
                    SummarySending.tenant_id == self.actor.tenant_id,
                    SummarySending.person_id == person_id,
                )
                .order_by(SummarySending.sent_at.desc())
            )
        ).all()
        return [sending_out(r) for r in rows]

    async def _build(self, episode_id: uuid.UUID, recipient_id: uuid.UUID | None) -> EpisodeSummary:
        t = self.actor.tenant_id
        episode = await self.session.get(Episode, (t, episode_id))
        if episode is None:
            raise not_found("Episode")
        person = await self.access.visible_person(episode.person_id)
        # The episode is looked up first: another partnership's id is a 404 whatever else.
        recipient = (
            await self.session.get(Organisation, (t, recipient_id)) if recipient_id else None
        )
        if recipient is None or recipient.kind not in RECIPIENT_KINDS:
            raise RuleViolation(
                "Choose the Offender Manager's organisation (probation or the prison)",
                field="recipient_organisation_id",
            )
        readable = await self.access.readable_categories(person.id)
        consented = {
            c.category
            for c in await active_consents(self.session, t, person.id, clock.now())
            if c.recipient_organisation_id == recipient.id or c.recipient_kind == recipient.kind
        }
        shared = readable & consented
        # What a summary of assessment and intervention is made of, when shared.
        wanted = {TREATMENT, OUTCOMES, "risk", "substance_use", "health", "case_notes"}
        opened = episode.opened_at
        closed = episode.closed_at or clock.now()

        assessments = (
            await self.session.scalars(
                select(Assessment)
                .where(
                    Assessment.tenant_id == t,
                    Assessment.person_id == person.id,
                    Assessment.episode_id == episode.id,
                    Assessment.category.in_(shared),
                )
                .order_by(Assessment.completed_at)
            )
        ).all()
        kinds = Counter(
            (
                await self.session.scalars(
                    select(Intervention.kind).where(
                        Intervention.tenant_id == t,
                        Intervention.person_id == person.id,
                        Intervention.category.in_(shared),
                        Intervention.occurred_at >= opened,
                        Intervention.occurred_at <= closed,
                    )
                )
            ).all()
        )
        treatment: list[TreatmentModality] = []
        goal = None
        if TREATMENT in shared:
            treatment = list(
                (
                    await self.session.scalars(
                        select(TreatmentModality)
                        .where(
                            TreatmentModality.tenant_id == t,
                            TreatmentModality.episode_id == episode.id,
                        )
                        .order_by(TreatmentModality.started_on, TreatmentModality.id)
                    )
                ).all()
            )
            goal = await self.session.scalar(
                select(TreatmentGoal.goal)
                .where(TreatmentGoal.tenant_id == t, TreatmentGoal.episode_id == episode.id)
                .order_by(TreatmentGoal.set_on.desc(), TreatmentGoal.created_at.desc())
                .limit(1)
            )
        outcomes: list[OutcomeChange] = []
        if OUTCOMES in shared:
            reviews = (
                await self.session.scalars(
                    select(OutcomeReview)
                    .where(
                        OutcomeReview.tenant_id == t,
                        OutcomeReview.person_id == person.id,
                        OutcomeReview.episode_id == episode.id,
                    )
                    .order_by(OutcomeReview.reviewed_on, OutcomeReview.id)
                )
            ).all()
            if reviews:
                outcomes = [
                    OutcomeChange(
                        domain=d, first=getattr(reviews[0], d), latest=getattr(reviews[-1], d)
                    )
                    for d in DOMAINS
                ]
        referrals = (
            await self.session.scalars(
                select(OnwardReferral)
                .where(
                    OnwardReferral.tenant_id == t,
                    OnwardReferral.episode_id == episode.id,
                    OnwardReferral.category.in_(shared),
                )
                .order_by(OnwardReferral.sent_on, OnwardReferral.id)
            )
        ).all()
        summary = EpisodeSummary(
            person_id=person.id,
            episode_id=episode.id,
            person_name=f"{person.given_name} {person.family_name}",
            date_of_birth=person.date_of_birth,
            prison_number=person.prison_number,
            episode_opened_on=opened.date(),
            episode_closed_on=episode.closed_at.date() if episode.closed_at else None,
            recipient_organisation_id=recipient.id,
            recipient_organisation=recipient.name,
            shared=sorted(shared),
            left_out=sorted(wanted - shared),
            assessments=[
                AssessmentLine(kind=a.kind, completed_on=a.completed_at.date(), summary=a.summary)
                for a in assessments
            ],
            interventions=[InterventionCount(kind=k, count=n) for k, n in sorted(kinds.items())],
            treatment_goal=goal,
            treatment=[
                TreatmentLine(
                    modality=m.modality,
                    started_on=m.started_on,
                    ended_on=m.ended_on,
                    exit_reason=m.exit_reason,
                )
                for m in treatment
            ],
            outcomes=outcomes,
            onward_referrals=[
                ReferralLine(service=r.service, sent_on=r.sent_on, status=r.status)
                for r in referrals
            ],
            content_sha256="",
        )
        return msgspec.structs.replace(summary, content_sha256=content_hash(summary))


def sending_out(row: SummarySending) -> SendingOut:
    return SendingOut(
        id=row.id,
        person_id=row.person_id,
        episode_id=row.episode_id,
        recipient_organisation_id=row.recipient_organisation_id,
        recipient_name=row.recipient_name,
        categories=list(row.categories),
        content_sha256=row.content_sha256,
        sent_at=row.sent_at,
    )
