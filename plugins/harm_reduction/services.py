"""Harm reduction's rules, from the prison substance-use service specification and the
Leicester account of release:

- "Referrals will be automatic following a confirmed positive drug test. An appointment
  will be offered, and a record made, if declined." A positive result makes a core
  referral (source ``positive_drug_test``) with an offered appointment, through core's
  own referral service; a declined offer is recorded as that referral's decision.
- Naloxone training, and kit supply: the kit type, first or repeat, and why a repeat.
- "The first two weeks are essential": the overdose-risk flag for the first fourteen days
  after the liberation date.

The service is assembled from one part per sub-domain: ``drug_tests``, ``naloxone`` and
``overdose_risk``; ``common`` holds what they share.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.clock import today as local_today
from core.errors import not_found
from core.persons.models import Person
from plugins.harm_reduction.drug_tests import DrugTestsMixin
from plugins.harm_reduction.naloxone import NaloxoneMixin
from plugins.harm_reduction.overdose_risk import OverdoseRiskMixin, harm_reduction_summary


class HarmReductionService(DrugTestsMixin, NaloxoneMixin, OverdoseRiskMixin):
    """Harm reduction's API and pages: every method checks the protocol and audits."""


async def person_panel(session: AsyncSession, access: Any, person_id: uuid.UUID) -> dict[str, Any]:
    """The person record's harm-reduction panel: the summary, within what may be read;
    an audited read."""
    person = await session.get(Person, (access.actor.tenant_id, person_id))
    if person is None:
        raise not_found("Person")
    readable = await access.readable_categories(person_id)
    summary = await harm_reduction_summary(session, person, readable, local_today())
    record(
        session,
        access.actor,
        "read",
        "harm_reduction_summary",
        person_id=person_id,
        detail={"restricted": summary.restricted},
    )
    await session.commit()
    return {"summary": summary}
