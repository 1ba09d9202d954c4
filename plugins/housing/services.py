"""Housing rules: the registration pipeline, each local authority's rule, and the board.

The pipeline is ``not_started → application_submitted → registered → offer_made →
accommodation_secured``; ``no_fixed_abode`` is recorded at (or after) liberation when
nothing was secured. A local authority's rule comes from the tenant file
(``housing_registration``): an ``on_liberation_day`` authority registers no one before
liberation, so its application cannot be submitted earlier and becomes the liberation
day's action.

The board's red/amber/green flag weighs the steps still to go against the days left:

* green: accommodation secured;
* red: no fixed abode, or the liberation date has passed without accommodation;
* authority registering *before liberation* (or none chosen yet, the stricter
  assumption): each step still to go needs a fortnight (``STEP_DAYS``). Red when
  the days left are fewer than ``steps to go * 14``; amber when there is less than
  one fortnight to spare; green otherwise;
* authority registering *on liberation day*: nothing can be secured ahead, so amber
  until secured, and red when liberation is a week away (``PREPARE_DAYS``) and the
  person's housing needs are still not recorded, the day's application unprepared.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import msgspec
from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.errors import Conflict, RuleViolation, not_found
from core.pagination import Page, keyset, page_of
from core.persons.models import Person
from core.persons.services import get_person_row
from core.tenancy.models import Organisation, OrganisationKind, Tenant
from plugins.housing.models import HousingRecord, HousingStep, RegistrationRule, Status
from plugins.housing.schemas import (
    AuthorityOut,
    BoardItem,
    HousingCreate,
    HousingOut,
    HousingUpdate,
    NextAction,
    Rag,
    StepCreate,
    StepOut,
)

PLUGIN = "housing"
CATEGORY = "housing"

PIPELINE: tuple[Status, ...] = (
    Status.NOT_STARTED,
    Status.APPLICATION_SUBMITTED,
    Status.REGISTERED,
    Status.OFFER_MADE,
    Status.ACCOMMODATION_SECURED,
)
# Where each status may move. Backward moves are the real ones: an offer refused or
# withdrawn (back to registered), a secured tenancy falling through before liberation.
ALLOWED: dict[Status, tuple[Status, ...]] = {
    Status.NOT_STARTED: (Status.APPLICATION_SUBMITTED, Status.NO_FIXED_ABODE),
    Status.APPLICATION_SUBMITTED: (Status.REGISTERED, Status.NO_FIXED_ABODE),
    Status.REGISTERED: (Status.OFFER_MADE, Status.NO_FIXED_ABODE),
    Status.OFFER_MADE: (Status.ACCOMMODATION_SECURED, Status.REGISTERED, Status.NO_FIXED_ABODE),
    Status.ACCOMMODATION_SECURED: (Status.REGISTERED,),
    # After a liberation with nowhere to stay the work goes on in the community.
    Status.NO_FIXED_ABODE: (
        Status.APPLICATION_SUBMITTED,
        Status.REGISTERED,
        Status.OFFER_MADE,
        Status.ACCOMMODATION_SECURED,
    ),
}
# A fortnight per step still to go: application decided, offer made, tenancy signed.
STEP_DAYS = 14
# An on-liberation-day application needs the person's needs written down a week ahead.
PREPARE_DAYS = 7
DEFAULT_BOARD_WEEKS = 12
MAX_BOARD_WEEKS = 52

LABELS: dict[Status, str] = {
    Status.APPLICATION_SUBMITTED: "Submit the housing application",
    Status.REGISTERED: "Confirm the registration",
    Status.OFFER_MADE: "Chase an offer of accommodation",
    Status.ACCOMMODATION_SECURED: "Secure the accommodation",
}


def steps_to_go(status: str) -> int:
    """Pipeline steps between ``status`` and secured accommodation."""
    if status == Status.NO_FIXED_ABODE:
        return len(PIPELINE) - 1
    return len(PIPELINE) - 1 - PIPELINE.index(Status(status))


def rule_of(authority: Organisation | None) -> RegistrationRule:
    """An authority's rule; with none chosen, or none declared, the stricter one."""
    if authority is None:
        return RegistrationRule.BEFORE_LIBERATION
    value = (authority.attributes or {}).get("housing_registration")
    return RegistrationRule(value) if value else RegistrationRule.BEFORE_LIBERATION


def rag(status: str, rule: RegistrationRule, days_left: int, has_needs: bool) -> Rag:
    """The board's flag; the rule is written out in this module's docstring."""
    if status == Status.ACCOMMODATION_SECURED:
        return "green"
    if status == Status.NO_FIXED_ABODE or days_left < 0:
        return "red"
    if rule == RegistrationRule.ON_LIBERATION_DAY:
        return "red" if days_left <= PREPARE_DAYS and not has_needs else "amber"
    slack = days_left - steps_to_go(status) * STEP_DAYS
    if slack < 0:
        return "red"
    return "amber" if slack < STEP_DAYS else "green"


def next_action(
    status: str, rule: RegistrationRule, liberation_date: date | None
) -> NextAction | None:
    """The next step along the pipeline and the date it is due for the board to be green."""
    if status == Status.ACCOMMODATION_SECURED:
        return None
    if status == Status.NO_FIXED_ABODE:
        return NextAction(
            status=Status.APPLICATION_SUBMITTED,
            label="Submit a homeless application in the community",
            due=None,
        )
    target = PIPELINE[PIPELINE.index(Status(status)) + 1]
    if rule == RegistrationRule.ON_LIBERATION_DAY and status == Status.NOT_STARTED:
        return NextAction(
            status=target,
            label="Submit the housing application on liberation day "
            "(the local authority registers no one earlier)",
            due=liberation_date,
            liberation_day_action=True,
        )
    due = None
    if liberation_date is not None:
        # Leave a fortnight for each step after this one.
        due = liberation_date - timedelta(days=(steps_to_go(status) - 1) * STEP_DAYS)
    return NextAction(status=target, label=LABELS[target], due=due)


def days_until(liberation_date: date | None, today: date) -> int | None:
    return None if liberation_date is None else (liberation_date - today).days


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


class HousingService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    # ---- reads -------------------------------------------------------------------------

    async def authorities(self) -> list[AuthorityOut]:
        return [
            AuthorityOut(id=o.id, slug=o.slug, name=o.name, registration_rule=rule_of(o).value)
            for o in await local_authorities(self.session, self.actor.tenant_id)
        ]

    async def board(
        self,
        *,
        weeks: int,
        local_authority_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
        today: date | None = None,
    ) -> Page[BoardItem]:
        if not 1 <= weeks <= MAX_BOARD_WEEKS:
            raise RuleViolation(f"weeks must be between 1 and {MAX_BOARD_WEEKS}", field="weeks")
        today = today or clock.today()
        authority = aliased(Organisation)
        stmt = (
            select(HousingRecord, Person, authority)
            .join(
                Person,
                (Person.tenant_id == HousingRecord.tenant_id)
                & (Person.id == HousingRecord.person_id),
            )
            .outerjoin(
                authority,
                (authority.tenant_id == HousingRecord.tenant_id)
                & (authority.id == HousingRecord.local_authority_id),
            )
            .where(
                HousingRecord.tenant_id == self.actor.tenant_id,
                Person.liberation_date >= today,
                Person.liberation_date <= today + timedelta(weeks=weeks),
                # Only people whose housing the protocol lets this user read; in SQL.
                self.access.person_filter(CATEGORY, person_id=HousingRecord.person_id),
            )
        )
        if local_authority_id is not None:
            stmt = stmt.where(HousingRecord.local_authority_id == local_authority_id)
        stmt = keyset(
            stmt,
            [Person.liberation_date, Person.id],
            cursor,
            limit,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(
            rows, limit, lambda r: [r[1].liberation_date.isoformat(), str(r[1].id)]
        )
        items = [self._board_item(h, p, a, today) for h, p, a in rows]
        record(
            self.session,
            self.actor,
            "list",
            "housing_record",
            detail={
                "weeks": weeks,
                "local_authority_id": str(local_authority_id) if local_authority_id else None,
                "returned": len(items),
            },
        )
        await self.session.commit()
        return Page(items=items, next_cursor=next_cursor)

    @staticmethod
    def _board_item(
        housing: HousingRecord, person: Person, authority: Organisation | None, today: date
    ) -> BoardItem:
        assert person.liberation_date is not None  # the board's WHERE says so
        rule = rule_of(authority)
        left = (person.liberation_date - today).days
        return BoardItem(
            person_id=person.id,
            given_name=person.given_name,
            family_name=person.family_name,
            prison_number=person.prison_number,
            liberation_date=person.liberation_date,
            days_left=left,
            local_authority_id=housing.local_authority_id,
            local_authority_name=authority.name if authority else None,
            registration_rule=rule.value if authority else None,
            needs=housing.needs,
            status=housing.status,
            status_on=housing.status_on,
            rag=rag(housing.status, rule, left, bool(housing.needs)),
            next_action=next_action(housing.status, rule, person.liberation_date),
        )

    async def get(self, person_id: uuid.UUID) -> HousingOut:
        await self.access.require(CATEGORY, "read", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._row(person_id)
        record(self.session, self.actor, "read", "housing_record", housing.id, person_id=person_id)
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    async def panel(self, person_id: uuid.UUID) -> HousingOut | None:
        """The person record page's housing panel: the record, or None; an audited read."""
        await self.access.require(CATEGORY, "read", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._find(person_id)
        if housing is None:
            return None
        record(self.session, self.actor, "read", "housing_record", housing.id, person_id=person_id)
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    # ---- writes ------------------------------------------------------------------------

    async def create(self, person_id: uuid.UUID, data: HousingCreate) -> HousingOut:
        await self.access.require(CATEGORY, "write", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        if await self._find(person_id) is not None:
            raise Conflict(
                detail="This person already has a housing record; change it instead",
                extra=[{"key": "person_id", "message": "already has a housing record"}],
            )
        if data.local_authority_id is not None:
            await self._authority(data.local_authority_id)
        housing, step = new_record(
            self.actor.tenant_id,
            person.id,
            clock.today(),
            user_id=self.actor.user_id,
            organisation_id=self.actor.organisation_id,
            local_authority_id=data.local_authority_id,
            needs=data.needs.strip() if data.needs else None,
        )
        self.session.add(housing)
        await self.session.flush()
        self.session.add(step)
        record(
            self.session, self.actor, "create", "housing_record", housing.id, person_id=person.id
        )
        try:
            await self.session.flush()
        except IntegrityError:
            await self.session.rollback()
            raise Conflict(detail="This person already has a housing record") from None
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    async def update(self, person_id: uuid.UUID, data: HousingUpdate) -> HousingOut:
        await self.access.require(CATEGORY, "write", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._row(person_id, for_update=True)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if "needs" in changes and changes["needs"] is not None:
            changes["needs"] = changes["needs"].strip()
        new_authority = changes.get("local_authority_id", housing.local_authority_id)
        if new_authority != housing.local_authority_id:
            if housing.status not in (Status.NOT_STARTED, Status.NO_FIXED_ABODE):
                current = await self._authority(housing.local_authority_id)
                raise RuleViolation(
                    f"The application is already with {current.name if current else 'an authority'}"
                    f" ({housing.status}); the local authority can change only before an "
                    "application is submitted",
                    field="local_authority_id",
                )
            if new_authority is not None:
                await self._authority(new_authority)
        for name, value in changes.items():
            setattr(housing, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "housing_record",
            housing.id,
            person_id=person_id,
            detail={"fields": sorted(changes)},
        )
        await self.session.flush()
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    async def add_step(self, person_id: uuid.UUID, data: StepCreate) -> HousingOut:
        await self.access.require(CATEGORY, "write", person_id)
        person = await get_person_row(self.session, self.actor, person_id)
        housing = await self._row(person_id, for_update=True)
        today = clock.today()
        on_date = data.on_date or today
        current = Status(housing.status)
        target = data.status
        if target not in ALLOWED[current]:
            allowed = ", ".join(ALLOWED[current]) or "nothing"
            raise RuleViolation(
                f"A registration at {current.value!r} can move to {allowed}, not {target.value!r}",
                field="status",
            )
        if on_date > today:
            raise RuleViolation("A step cannot be dated in the future", field="on_date")
        if on_date < housing.status_on:
            raise RuleViolation(
                f"A step cannot be dated before the previous one ({housing.status_on})",
                field="on_date",
            )
        authority = await self._authority(housing.local_authority_id)
        liberation = person.liberation_date
        if target == Status.NO_FIXED_ABODE:
            if liberation is None:
                raise RuleViolation(
                    "No fixed abode is recorded at liberation, and this person has no "
                    "liberation date",
                    field="status",
                )
            if on_date < liberation:
                raise RuleViolation(
                    f"No fixed abode is recorded at liberation ({liberation}), not before",
                    field="on_date",
                )
        elif authority is None:
            raise RuleViolation(
                "Choose the local authority before moving the registration on",
                field="local_authority_id",
            )
        if (
            target == Status.APPLICATION_SUBMITTED
            and current == Status.NOT_STARTED
            and rule_of(authority) == RegistrationRule.ON_LIBERATION_DAY
        ):
            assert authority is not None
            if liberation is None:
                raise RuleViolation(
                    f"{authority.name} registers people for housing only on their liberation "
                    "day, and this person has no liberation date yet",
                    field="on_date",
                )
            if on_date < liberation:
                raise RuleViolation(
                    f"{authority.name} registers people for housing only on their liberation "
                    f"day ({liberation}): the application cannot be submitted before then",
                    field="on_date",
                )
        step = HousingStep(
            tenant_id=self.actor.tenant_id,
            record_id=housing.id,
            from_status=current,
            to_status=target,
            on_date=on_date,
            acted_by=self.actor.user_id,
            organisation_id=self.actor.organisation_id,
            note=data.note.strip() if data.note else None,
        )
        self.session.add(step)
        housing.status = target
        housing.status_on = on_date
        record(
            self.session,
            self.actor,
            "update",
            "housing_record",
            housing.id,
            person_id=person_id,
            detail={"from": current.value, "to": target.value, "on_date": on_date.isoformat()},
        )
        await self.session.flush()
        out = await self._out(housing, person)
        await self.session.commit()
        return out

    # ---- helpers -----------------------------------------------------------------------

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
