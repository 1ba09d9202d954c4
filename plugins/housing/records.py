"""A person's housing record: its wire shapes, the partnership's local authorities, the
record made when the plugin is on, and the service's base (finding and shaping records).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.errors import RuleViolation, not_found
from core.persons.models import Person
from core.tenancy.models import Organisation, OrganisationKind, Tenant
from plugins.housing.models import HousingRecord, HousingStep, Status
from plugins.housing.rules import PLUGIN, days_until, next_action, rag, rule_of
from plugins.housing.schemas import HousingOut, StepOut


def step_out(step: HousingStep) -> StepOut:
    return StepOut(
        id=step.id,
        from_status=step.from_status,
        to_status=step.to_status,
        on_date=step.on_date,
        acted_by=step.acted_by,
        organisation_id=step.organisation_id,
        note=step.note,
        created_at=step.created_at,
    )


def housing_out(
    housing: HousingRecord,
    person: Person,
    authority: Organisation | None,
    steps: list[HousingStep],
    today: date,
) -> HousingOut:
    rule = rule_of(authority)
    left = days_until(person.liberation_date, today)
    return HousingOut(
        id=housing.id,
        person_id=housing.person_id,
        local_authority_id=housing.local_authority_id,
        local_authority_name=authority.name if authority else None,
        registration_rule=rule.value if authority else None,
        needs=housing.needs,
        status=housing.status,
        status_on=housing.status_on,
        liberation_date=person.liberation_date,
        rag=None if left is None else rag(housing.status, rule, left, bool(housing.needs)),
        next_action=next_action(housing.status, rule, person.liberation_date),
        steps=[step_out(s) for s in steps],
        created_at=housing.created_at,
    )


async def local_authorities(session: AsyncSession, tenant_id: uuid.UUID) -> list[Organisation]:
    return list(
        (
            await session.scalars(
                select(Organisation)
                .where(
                    Organisation.tenant_id == tenant_id,
                    Organisation.kind == OrganisationKind.LOCAL_AUTHORITY,
                )
                .order_by(Organisation.name, Organisation.id)
            )
        ).all()
    )


async def plugin_enabled(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Whether the tenant has housing on now: a queued job idles for a tenant without it."""
    tenant = await session.get(Tenant, tenant_id)
    return tenant is not None and tenant.is_active and PLUGIN in tenant.plugins


def new_record(
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    today: date,
    *,
    user_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    local_authority_id: uuid.UUID | None = None,
    needs: str | None = None,
    note: str | None = None,
) -> tuple[HousingRecord, HousingStep]:
    housing = HousingRecord(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        person_id=person_id,
        local_authority_id=local_authority_id,
        needs=needs,
        status=Status.NOT_STARTED,
        status_on=today,
        created_by=user_id,
    )
    step = HousingStep(
        tenant_id=tenant_id,
        record_id=housing.id,
        from_status=None,
        to_status=Status.NOT_STARTED,
        on_date=today,
        acted_by=user_id,
        organisation_id=organisation_id,
        note=note,
    )
    return housing, step


async def ensure_record(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    reason: str,
    user_id: uuid.UUID | None = None,
) -> str:
    """Open a person's housing record if they have none; commits. Safe to run twice.

    ``user_id`` is whoever caused it (the member who set the liberation date), for audit.

    Answers what happened: ``created``, ``exists``, ``idle`` (housing is off for the
    tenant) or ``no_person``.
    """
    if not await plugin_enabled(session, tenant_id):
        return "idle"
    person = await session.get(Person, (tenant_id, person_id))
    if person is None:
        return "no_person"
    existing = await session.scalar(
        select(HousingRecord.id).where(
            HousingRecord.tenant_id == tenant_id, HousingRecord.person_id == person_id
        )
    )
    if existing is not None:
        return "exists"
    housing, step = new_record(
        tenant_id, person_id, clock.today(), user_id=None, organisation_id=None, note=reason
    )
    try:
        session.add(housing)
        await session.flush()
        session.add(step)
        record(
            session,
            None,
            "create",
            "housing_record",
            housing.id,
            person_id=person_id,
            tenant_id=tenant_id,
            user_id=user_id,
            detail={"reason": reason},
        )
        await session.commit()
    except IntegrityError:
        # Another run of the same job won the race: the record exists, which is the point.
        await session.rollback()
        return "exists"
    return "created"


async def count_reaching(
    session: AsyncSession, tenant_id: uuid.UUID, status: Status, start: date, end: date
) -> int:
    """People whose registration reached ``status`` between ``start`` and ``end``
    (inclusive), for the partnership's reports; a person counts once."""
    return int(
        await session.scalar(
            select(func.count(distinct(HousingRecord.person_id)))
            .select_from(HousingStep)
            .join(
                HousingRecord,
                (HousingRecord.tenant_id == HousingStep.tenant_id)
                & (HousingRecord.id == HousingStep.record_id),
            )
            .where(
                HousingStep.tenant_id == tenant_id,
                HousingStep.to_status == status,
                HousingStep.on_date >= start,
                HousingStep.on_date <= end,
            )
        )
        or 0
    )


class HousingBase:
    """The protocol's ``housing`` permission is checked by each part's methods."""

    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def _find(
        self, person_id: uuid.UUID, *, for_update: bool = False
    ) -> HousingRecord | None:
        stmt = select(HousingRecord).where(
            HousingRecord.tenant_id == self.actor.tenant_id, HousingRecord.person_id == person_id
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(stmt)

    async def _row(self, person_id: uuid.UUID, *, for_update: bool = False) -> HousingRecord:
        housing = await self._find(person_id, for_update=for_update)
        if housing is None:
            raise not_found("Housing record")
        return housing

    async def _authority(self, organisation_id: uuid.UUID | None) -> Organisation | None:
        if organisation_id is None:
            return None
        org = await self.session.get(Organisation, (self.actor.tenant_id, organisation_id))
        if org is None or org.kind != OrganisationKind.LOCAL_AUTHORITY:
            raise RuleViolation(
                "local_authority_id must name a local authority of this partnership",
                field="local_authority_id",
            )
        return org

    async def _out(self, housing: HousingRecord, person: Person) -> HousingOut:
        steps = list(
            (
                await self.session.scalars(
                    select(HousingStep)
                    .where(
                        HousingStep.tenant_id == housing.tenant_id,
                        HousingStep.record_id == housing.id,
                    )
                    .order_by(HousingStep.created_at, HousingStep.id)
                )
            ).all()
        )
        authority = (
            await self.session.get(Organisation, (housing.tenant_id, housing.local_authority_id))
            if housing.local_authority_id
            else None
        )
        return housing_out(housing, person, authority, steps, clock.today())
