"""What every part of peer mentoring shares: its names, the rows' wire shapes, the
person's current match, and the service's base (the plugin on, the person visible).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.persons.models import Person
from core.plugins import require_plugin
from plugins.peer_mentoring.models import GateAppointment, Mentor, MentoringSession, MentorMatch
from plugins.peer_mentoring.schemas import GateAppointmentOut, MatchOut, MentorOut, SessionOut

PLUGIN = "peer_mentoring"


CATEGORY = "peer_support"


CLOCK_SKEW = timedelta(minutes=5)


# The schedule shows four weeks ahead unless asked otherwise, and at most a year.
DEFAULT_SCHEDULE_DAYS = 28


# Why a mentor is assigned to a person (the sharing engine's "assigned" scope).
MENTOR_REASON = "peer mentor"


MAX_SCHEDULE_DAYS = 366


def clean(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


def mentor_out(row: Mentor) -> MentorOut:
    return MentorOut(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        organisation_id=row.organisation_id,
        lived_experience=row.lived_experience,
        vetting_status=row.vetting_status,
        vetted_on=row.vetted_on,
        availability=row.availability,
        is_active=row.is_active,
        created_at=row.created_at,
    )


def match_out(row: MentorMatch) -> MatchOut:
    return MatchOut(
        id=row.id,
        person_id=row.person_id,
        mentor_id=row.mentor_id,
        started_on=row.started_on,
        ended_on=row.ended_on,
        end_reason=row.end_reason,
        matched_by=row.matched_by,
        created_at=row.created_at,
    )


def session_out(row: MentoringSession) -> SessionOut:
    return SessionOut(
        id=row.id,
        person_id=row.person_id,
        mentor_id=row.mentor_id,
        starts_at=row.starts_at,
        status=row.status,
        setting=row.setting,
        duration_minutes=row.duration_minutes,
        notes=row.notes,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def gate_out(row: GateAppointment) -> GateAppointmentOut:
    return GateAppointmentOut(
        id=row.id,
        person_id=row.person_id,
        mentor_id=row.mentor_id,
        liberation_date=row.liberation_date,
        meet_at=row.meet_at,
        status=row.status,
        created_at=row.created_at,
    )


async def current_match(
    session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID
) -> MentorMatch | None:
    return await session.scalar(
        select(MentorMatch)
        .where(
            MentorMatch.tenant_id == tenant_id,
            MentorMatch.person_id == person_id,
            MentorMatch.ended_on.is_(None),
        )
        .order_by(MentorMatch.started_on.desc(), MentorMatch.id)
        .limit(1)
    )


class PeerMentoringBase:
    """The plugin must be on; each part's methods read a person through ``_person``."""

    def __init__(self, session: AsyncSession, access: Access) -> None:
        require_plugin(access.actor, PLUGIN)
        self.session = session
        self.access = access
        self.actor = access.actor

    async def _person(self, person_id: uuid.UUID, action: str) -> Person:
        """The person (404 if they are not to be known of), then the protocol's say on
        ``peer_support`` for them (403 naming the reason)."""
        person = await self.access.visible_person(person_id)
        await self.access.require(CATEGORY, action, person.id)
        return person
