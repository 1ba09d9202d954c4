"""Peer mentoring's rules: only a cleared mentor is matched, one current match per person,
sessions planned or logged, and the "met at the gate" appointment that follows the
person's liberation date (made, moved or cancelled by :func:`sync_gate_appointment`).

The service is assembled from one part per sub-domain: ``mentors``, ``matches``,
``mentoring_sessions`` and ``schedule``; ``gate`` keeps the gate appointment in step with
the liberation date, ``common`` what they share.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from plugins.peer_mentoring.common import current_match, gate_out, mentor_out
from plugins.peer_mentoring.matches import MatchesMixin
from plugins.peer_mentoring.mentoring_sessions import SessionsMixin
from plugins.peer_mentoring.mentors import MentorsMixin
from plugins.peer_mentoring.models import GateAppointment, GateStatus, Mentor
from plugins.peer_mentoring.schedule import ScheduleMixin


class PeerMentoringService(MentorsMixin, MatchesMixin, SessionsMixin, ScheduleMixin):
    """Peer mentoring's API and pages: every method checks the protocol and audits."""


async def person_panel(session: AsyncSession, access: Any, person_id: uuid.UUID) -> dict[str, Any]:
    """The person record's peer support panel: the current mentor and the gate appointment;
    an audited read. Core calls it only for a viewer who may read ``peer_support``."""
    tenant_id = access.actor.tenant_id
    match = await current_match(session, tenant_id, person_id)
    mentor = await session.get(Mentor, (tenant_id, match.mentor_id)) if match else None
    gate = await session.scalar(
        select(GateAppointment)
        .where(
            GateAppointment.tenant_id == tenant_id,
            GateAppointment.person_id == person_id,
            or_(
                GateAppointment.status == GateStatus.SCHEDULED,
                GateAppointment.status == GateStatus.MET,
            ),
        )
        .order_by(GateAppointment.meet_at.desc(), GateAppointment.id)
        .limit(1)
    )
    record(session, access.actor, "read", "peer_support_panel", person_id=person_id)
    await session.commit()
    return {
        "mentor": mentor_out(mentor) if mentor else None,
        "gate_appointment": gate_out(gate) if gate else None,
    }
