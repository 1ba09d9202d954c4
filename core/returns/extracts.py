"""The monthly national returns as extracts: NDTMS (England's secure settings) and DAISy
(Scotland's Drug and Alcohol Information System).

One row per treatment modality open at any time in the month. A person is named only by a
pseudonymous client reference (an HMAC of the partnership and person, stable from month
to month so the national system can link a treatment journey), initials and date of birth,
as the returns ask. Each group of fields is filled only where the person running the
extract may read its category for that person; the rest are blank and counted in the
completeness summary, so a lead sees what to fix before filing.

The codes are Throughcare's (``pharmacological_reducing``, ``heroin``); translating them to
the national code tables is the submitting system's step and is not done here.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.episodes.models import Episode
from core.persons.models import Person
from core.referrals.models import Referral
from core.reports.exports import spreadsheet_safe
from core.returns.models import ReturnDetails
from core.returns.validation import RowProblem, row_problems
from core.tenancy.models import Organisation
from core.treatment.models import CATEGORY, TreatmentGoal, TreatmentModality

# DAISy's waiting-time standard: referral to first treatment within three weeks.
DAISY_STANDARD_DAYS = 21

COMMON = (
    "client_ref",
    "initials",
    "date_of_birth",
    "sex",
    "ethnicity",
    "local_authority",
    "legal_status",
)
SUBSTANCE = ("problem_substance_1", "problem_substance_2", "problem_substance_3", "injecting")
TREATMENT = (
    "referral_date",
    "modality",
    "modality_start",
    "modality_end",
    "exit_reason",
    "treatment_goal",
    "provider",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "ndtms": (
        *COMMON,
        "conditional_release_date",
        "hdc_eligibility_date",
        "parole_eligibility_date",
        *SUBSTANCE,
        *TREATMENT,
    ),
    "daisy": (
        *COMMON,
        "liberation_date",
        *SUBSTANCE,
        *TREATMENT,
        "first_treatment_date",
        "wait_days",
        "within_three_weeks",
    ),
}
NATION_OF: dict[str, str] = {"ndtms": "england", "daisy": "scotland"}

# Which category each extract field needs the exporter to read for that person.
FIELD_CATEGORY: dict[str, str] = {
    "initials": "identity",
    "date_of_birth": "identity",
    "local_authority": "identity",
    "sex": "health",
    "ethnicity": "health",
    "legal_status": "custody",
    "conditional_release_date": "custody",
    "hdc_eligibility_date": "custody",
    "parole_eligibility_date": "custody",
    "liberation_date": "custody",
}


class ColumnCompleteness(msgspec.Struct):
    column: str
    blank: int
    # Blank because the exporter may not read the field's category for that person.
    withheld: int


class ReturnSummary(msgspec.Struct):
    kind: str
    period_start: date
    period_end: date
    rows: int
    people: int
    completeness: list[ColumnCompleteness]
    # Rows the national system would accept as they stand, and what is wrong with the rest.
    valid_rows: int
    problems: list[RowProblem]


def client_ref(key: bytes, tenant_id: uuid.UUID, person_id: uuid.UUID) -> str:
    digest = hmac.new(key, f"{tenant_id}:{person_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:16].upper()


def _flag(access: Access, category: str, person: Any) -> Any:
    return case((access.person_filter(category, person_id=person), True), else_=False)


@dataclass(frozen=True)
class Extract:
    rows: list[dict[str, Any]]
    withheld: dict[str, int]  # per column, how many were withheld (not merely blank)
    problems: list[RowProblem]  # what the national system would reject, row by row


async def extract_rows(
    session: AsyncSession, access: Access, kind: str, start: date, end: date, key: bytes
) -> Extract:
    """The return's rows, checked against its field specification (core/returns/specs)."""
    actor = access.actor
    tenant = actor.tenant_id
    referral_date = (
        select(func.min(Referral.received_at))
        .where(Referral.tenant_id == tenant, Referral.episode_id == TreatmentModality.episode_id)
        .scalar_subquery()
    )
    first_treatment = (
        select(func.min(TreatmentModality.started_on))
        .where(
            TreatmentModality.tenant_id == tenant,
            TreatmentModality.episode_id == Episode.id,
        )
        .correlate(Episode)
        .scalar_subquery()
    )
    goal = (
        select(TreatmentGoal.goal)
        .where(
            TreatmentGoal.tenant_id == tenant,
            TreatmentGoal.person_id == TreatmentModality.person_id,
            TreatmentGoal.set_on <= end,
        )
        .order_by(TreatmentGoal.set_on.desc(), TreatmentGoal.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            TreatmentModality,
            Person,
            ReturnDetails,
            Organisation.name.label("provider"),
            referral_date.label("referral_at"),
            first_treatment.label("first_treatment_on"),
            goal.label("goal"),
            _flag(access, "identity", Person.id).label("identity"),
            _flag(access, "health", Person.id).label("health"),
            _flag(access, "custody", Person.id).label("custody"),
        )
        .join(
            Person,
            and_(Person.tenant_id == tenant, Person.id == TreatmentModality.person_id),
        )
        .join(
            Episode,
            and_(Episode.tenant_id == tenant, Episode.id == TreatmentModality.episode_id),
        )
        .join(
            Organisation,
            and_(
                Organisation.tenant_id == tenant,
                Organisation.id == TreatmentModality.organisation_id,
            ),
        )
        .outerjoin(
            ReturnDetails,
            and_(ReturnDetails.tenant_id == tenant, ReturnDetails.person_id == Person.id),
        )
        .where(
            TreatmentModality.tenant_id == tenant,
            # The treatment itself is substance-use information: only people whose
            # treatment the exporter may read are in the extract at all.
            access.person_filter(CATEGORY, person_id=TreatmentModality.person_id),
            TreatmentModality.started_on <= end,
            or_(TreatmentModality.ended_on.is_(None), TreatmentModality.ended_on >= start),
        )
        .order_by(Person.id, TreatmentModality.started_on, TreatmentModality.id)
    )
    rows: list[dict[str, Any]] = []
    withheld: dict[str, int] = {}
    problems: list[RowProblem] = []
    for found in (await session.execute(stmt)).all():
        modality: TreatmentModality = found[0]
        person: Person = found[1]
        details: ReturnDetails | None = found[2]
        readable = {"identity": found.identity, "health": found.health, "custody": found.custody}
        referral_on = found.referral_at.date() if found.referral_at else None
        first_on = found.first_treatment_on
        values: dict[str, Any] = {
            "client_ref": client_ref(key, tenant, person.id),
            "initials": f"{person.given_name[:1]}{person.family_name[:1]}".upper(),
            "date_of_birth": person.date_of_birth,
            "sex": details.sex if details else None,
            "ethnicity": details.ethnicity if details else None,
            "local_authority": details.local_authority if details else None,
            "legal_status": details.legal_status if details else None,
            "conditional_release_date": details.conditional_release_date if details else None,
            "hdc_eligibility_date": details.hdc_eligibility_date if details else None,
            "parole_eligibility_date": details.parole_eligibility_date if details else None,
            "liberation_date": person.liberation_date,
            "problem_substance_1": details.problem_substance_1 if details else None,
            "problem_substance_2": details.problem_substance_2 if details else None,
            "problem_substance_3": details.problem_substance_3 if details else None,
            "injecting": details.injecting if details else None,
            "referral_date": referral_on,
            "modality": modality.modality,
            "modality_start": modality.started_on,
            "modality_end": modality.ended_on
            if modality.ended_on and modality.ended_on <= end
            else None,
            "exit_reason": modality.exit_reason
            if modality.ended_on and modality.ended_on <= end
            else None,
            "treatment_goal": found.goal,
            "provider": found.provider,
        }
        if referral_on and first_on:
            wait = (first_on - referral_on).days
            values["first_treatment_date"] = first_on
            values["wait_days"] = max(wait, 0)
            values["within_three_weeks"] = "yes" if wait <= DAISY_STANDARD_DAYS else "no"
        row: dict[str, Any] = {}
        hidden: set[str] = set()
        for column in COLUMNS[kind]:
            category = FIELD_CATEGORY.get(column)
            if category is not None and not readable[category]:
                row[column] = None
                hidden.add(column)
                withheld[column] = withheld.get(column, 0) + 1
            else:
                row[column] = values.get(column)
        rows.append(row)
        problems += row_problems(kind, row, hidden)
    return Extract(rows, withheld, problems)


def as_csv(kind: str, rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.upper() for c in COLUMNS[kind]])
    for row in rows:
        writer.writerow([spreadsheet_safe(row[c]) for c in COLUMNS[kind]])
    return out.getvalue()


def summary(kind: str, start: date, end: date, extract: Extract) -> ReturnSummary:
    rows, withheld = extract.rows, extract.withheld
    faulty = {(p.client_ref, p.modality_start) for p in extract.problems}
    return ReturnSummary(
        kind=kind,
        period_start=start,
        period_end=end,
        rows=len(rows),
        people=len({r["client_ref"] for r in rows}),
        completeness=[
            ColumnCompleteness(
                column=c,
                blank=sum(1 for r in rows if r[c] is None),
                withheld=withheld.get(c, 0),
            )
            for c in COLUMNS[kind]
        ],
        valid_rows=sum(1 for r in rows if (r["client_ref"], r["modality_start"]) not in faulty),
        problems=extract.problems,
    )
