"""Peer mentoring's rules: only a cleared mentor is matched, one current match per person,
sessions planned or logged, and the "met at the gate" appointment that follows the
person's liberation date (made, moved or cancelled by :func:`sync_gate_appointment`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import String, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from core.accounts.models import User
from core.audit.services import record
from core.authz.access import Access
from core.authz.models import PersonAssignment
from core.authz.relations import decide_assignment, decide_organisation, unassign
from core.clock import UK_TIME
from core.clock import today as local_today
from core.db.base import UTCDateTime, utcnow
from core.episodes.services import is_active_member
from core.errors import Conflict, RuleViolation, not_found
from core.pagination import Page, keyset, page_of
from core.persons.models import Person
from core.plugins import require_plugin
from core.tenancy.models import Organisation
from plugins.peer_mentoring.models import (
    GateAppointment,
    GateStatus,
    Mentor,
    MentoringSession,
    MentorMatch,
    SessionStatus,
    VettingStatus,
)
from plugins.peer_mentoring.schemas import (
    GateAppointmentOut,
    GateAppointmentUpdate,
    MatchCreate,
    MatchEnd,
    MatchOut,
    MentorCreate,
    MentorOut,
    MentorUpdate,
    ScheduleItem,
    SessionCreate,
    SessionOut,
)

PLUGIN = "peer_mentoring"
CATEGORY = "peer_support"
CLOCK_SKEW = timedelta(minutes=5)
# Scottish and English prisons release in the morning; the mentor is at the gate before.
GATE_TIME = time(8, 0)
# The schedule shows four weeks ahead unless asked otherwise, and at most a year.
DEFAULT_SCHEDULE_DAYS = 28
# Why a mentor is assigned to a person (the sharing engine's "assigned" scope).
MENTOR_REASON = "peer mentor"
MAX_SCHEDULE_DAYS = 366


def utc_cursor_time(value: str) -> BindParameter[datetime]:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time in cursor")
    return literal(parsed.astimezone(UTC), UTCDateTime())


def gate_time(day: date) -> datetime:
    """08:00 UK civil time on the liberation day, in UTC."""
    return datetime.combine(day, GATE_TIME, tzinfo=UK_TIME).astimezone(UTC)


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


# ---------------------------------------------------------------- the gate appointment


async def sync_gate_appointment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    today: date | None = None,
) -> str:
    """:func:`reconcile_gate_appointment`, audited and committed: what the job runs."""
    outcome = await reconcile_gate_appointment(session, tenant_id, person_id, today=today)
    await session.commit()
    return outcome


async def reconcile_gate_appointment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    today: date | None = None,
    audit_changes: bool = True,
) -> str:
    """Make the person's gate appointment agree with their liberation date, as it is now.

    Reads the current date rather than the one in the event, so running it twice, or
    running an older event's job after a newer one, always ends in the same state: one
    scheduled appointment on a future liberation date (moved, not duplicated, when the
    date moves), none when the date is cleared. Past appointments are history and stay.
    Returns what it did: ``created``, ``moved``, ``cancelled``, ``unchanged`` or ``none``.
    The caller commits.
    """
    today = today or local_today()
    person = await session.scalar(
        select(Person)
        .where(Person.tenant_id == tenant_id, Person.id == person_id)
        .with_for_update()
    )
    if person is None:
        return "none"
    upcoming = list(
        (
            await session.scalars(
                select(GateAppointment)
                .where(
                    GateAppointment.tenant_id == tenant_id,
                    GateAppointment.person_id == person_id,
                    GateAppointment.status == GateStatus.SCHEDULED,
                    GateAppointment.liberation_date >= today,
                )
                .order_by(GateAppointment.created_at, GateAppointment.id)
                .with_for_update()
            )
        ).all()
    )
    target = person.liberation_date
    if target is not None and target < today:
        target = None  # a release already past is not met at the gate after the event
    outcome = "unchanged"

    def audit(row: GateAppointment, action: str, detail: dict[str, Any]) -> None:
        if not audit_changes:
            return
        record(
            session,
            None,
            action,
            "gate_appointment",
            row.id,
            person_id=person_id,
            tenant_id=tenant_id,
            detail={"by": "gate appointment job", **detail},
        )

    keep = upcoming[0] if upcoming and target is not None else None
    for extra in upcoming:
        if extra is keep:
            continue
        extra.status = GateStatus.CANCELLED
        audit(extra, "cancel", {"liberation_date": extra.liberation_date.isoformat()})
        outcome = "cancelled"
    if target is not None:
        if keep is None:
            match = await current_match(session, tenant_id, person_id)
            keep = GateAppointment(
                tenant_id=tenant_id,
                person_id=person_id,
                mentor_id=match.mentor_id if match else None,
                liberation_date=target,
                meet_at=gate_time(target),
                status=GateStatus.SCHEDULED,
            )
            session.add(keep)
            await session.flush()
            audit(keep, "create", {"liberation_date": target.isoformat()})
            outcome = "created"
        elif keep.liberation_date != target:
            old = keep.liberation_date
            keep.liberation_date = target
            keep.meet_at = gate_time(target)
            audit(keep, "update", {"from": old.isoformat(), "to": target.isoformat()})
            outcome = "moved"
    return outcome


# ---------------------------------------------------------------- the API's service


class PeerMentoringService:
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

    # ------------------------------------------------------------ mentors

    async def create_mentor(self, data: MentorCreate) -> Mentor:
        await self.access.require_tenant(CATEGORY, "write")
        if (data.user_id is None) == (data.name is None):
            refused = RuleViolation(
                "Give exactly one of user_id (a member of the partnership) or name "
                "(a volunteer without a sign-in)",
                field="user_id",
            )
            refused.extra.append({"key": "name", "message": refused.detail})
            raise refused
        name = data.name
        if data.user_id is not None:
            if not await is_active_member(self.session, self.actor.tenant_id, data.user_id):
                raise RuleViolation(
                    "The user is not an active member of this partnership", field="user_id"
                )
            taken = await self.session.scalar(
                select(Mentor.id).where(
                    Mentor.tenant_id == self.actor.tenant_id, Mentor.user_id == data.user_id
                )
            )
            if taken is not None:
                raise Conflict(
                    detail="This user is already a mentor here",
                    extra=[{"key": "user_id", "message": f"already mentor {taken}"}],
                )
            user = await self.session.get(User, data.user_id)
            name = user.display_name if user else None
        organisation_id = data.organisation_id or self.actor.organisation_id
        if await self.session.get(Organisation, (self.actor.tenant_id, organisation_id)) is None:
            raise RuleViolation("No such partner in this partnership", field="organisation_id")
        self._check_vetting(data.vetting_status, data.vetted_on)
        mentor = Mentor(
            tenant_id=self.actor.tenant_id,
            user_id=data.user_id,
            name=" ".join((name or "").split()),
            organisation_id=organisation_id,
            lived_experience=data.lived_experience,
            vetting_status=data.vetting_status,
            vetted_on=data.vetted_on,
            availability=clean(data.availability),
        )
        self.session.add(mentor)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "mentor",
            mentor.id,
            detail={"vetting_status": mentor.vetting_status},
        )
        await self.session.commit()
        return mentor

    def _check_vetting(self, status: str, vetted_on: date | None) -> None:
        if vetted_on is not None and vetted_on > local_today():
            raise RuleViolation("A vetting check cannot be dated in the future", field="vetted_on")
        if status == VettingStatus.CLEARED and vetted_on is None:
            raise RuleViolation(
                "A cleared mentor needs the date of the vetting check", field="vetted_on"
            )

    async def update_mentor(self, mentor_id: uuid.UUID, data: MentorUpdate) -> Mentor:
        await self.access.require_tenant(CATEGORY, "write")
        mentor = await self._mentor(mentor_id)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if "availability" in changes:
            changes["availability"] = clean(changes["availability"])
        self._check_vetting(
            changes.get("vetting_status", mentor.vetting_status),
            changes.get("vetted_on", mentor.vetted_on),
        )
        for name, value in changes.items():
            setattr(mentor, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "mentor",
            mentor.id,
            detail={"fields": sorted(changes), "vetting_status": mentor.vetting_status},
        )
        await self.session.commit()
        return mentor

    async def get_mentor(self, mentor_id: uuid.UUID) -> Mentor:
        await self.access.require_tenant(CATEGORY, "read")
        mentor = await self._mentor(mentor_id)
        record(self.session, self.actor, "read", "mentor", mentor.id)
        await self.session.commit()
        return mentor

    async def list_mentors(
        self,
        *,
        vetting_status: VettingStatus | None,
        active: bool | None,
        limit: int,
        cursor: str | None,
    ) -> Page[MentorOut]:
        await self.access.require_tenant(CATEGORY, "read")
        stmt = select(Mentor).where(Mentor.tenant_id == self.actor.tenant_id)
        if vetting_status is not None:
            stmt = stmt.where(Mentor.vetting_status == vetting_status)
        if active is not None:
            stmt = stmt.where(Mentor.is_active.is_(active))
        stmt = keyset(stmt, [Mentor.name, Mentor.id], cursor, limit, convert=[None, uuid.UUID])
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda m: [m.name, str(m.id)])
        record(
            self.session,
            self.actor,
            "list",
            "mentor",
            detail={"vetting_status": vetting_status, "active": active, "returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[mentor_out(m) for m in rows], next_cursor=next_cursor)

    async def _mentor(self, mentor_id: uuid.UUID) -> Mentor:
        mentor = await self.session.get(Mentor, (self.actor.tenant_id, mentor_id))
        if mentor is None:
            raise not_found("Mentor")
        return mentor

    # ------------------------------------------------------------ matches

    async def match(self, data: MatchCreate) -> MentorMatch:
        person = await self._person(data.person_id, "write")
        await self.session.execute(
            select(Person.id)
            .where(Person.tenant_id == self.actor.tenant_id, Person.id == person.id)
            .with_for_update()
        )
        mentor = await self.session.get(Mentor, (self.actor.tenant_id, data.mentor_id))
        if mentor is None:
            raise RuleViolation("No such mentor in this partnership", field="mentor_id")
        if mentor.vetting_status != VettingStatus.CLEARED:
            raise RuleViolation(
                f"Only a cleared mentor can be matched; this mentor's vetting is "
                f"{mentor.vetting_status}",
                field="mentor_id",
            )
        if not mentor.is_active:
            raise RuleViolation("This mentor is no longer active", field="mentor_id")
        started_on = data.started_on or local_today()
        if started_on > local_today():
            raise RuleViolation("A match cannot start in the future", field="started_on")
        existing = await current_match(self.session, self.actor.tenant_id, person.id)
        if existing is not None:
            message = "The person already has a mentor: end that match first"
            raise Conflict(
                detail=message, extra=[{"key": "person_id", "message": str(existing.id)}]
            )
        row = MentorMatch(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            mentor_id=mentor.id,
            started_on=started_on,
            matched_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        # A gate appointment made before anyone was matched now has its mentor.
        unassigned = (
            await self.session.scalars(
                select(GateAppointment).where(
                    GateAppointment.tenant_id == self.actor.tenant_id,
                    GateAppointment.person_id == person.id,
                    GateAppointment.status == GateStatus.SCHEDULED,
                    GateAppointment.mentor_id.is_(None),
                )
            )
        ).all()
        for appointment in unassigned:
            appointment.mentor_id = mentor.id
        # The mentor works with the person now: the protocol's "assigned" scope for a
        # mentor who signs in, and their organisation's "own_organisation" scope.
        # A match is an allocation: the protocol must entitle whoever makes it.
        await decide_assignment(self.access, person.id, mentor.user_id, MENTOR_REASON)
        await decide_organisation(self.access, person.id, mentor.organisation_id, "peer mentor")
        self.access.forget(person.id)
        record(
            self.session,
            self.actor,
            "create",
            "mentor_match",
            row.id,
            person_id=person.id,
            detail={"mentor_id": str(mentor.id), "gate_appointments_assigned": len(unassigned)},
        )
        await self.session.commit()
        return row

    async def end_match(self, match_id: uuid.UUID, data: MatchEnd) -> MentorMatch:
        row = await self.session.get(
            MentorMatch, (self.actor.tenant_id, match_id), with_for_update=True
        )
        if row is None:
            raise not_found("Match")
        await self._person(row.person_id, "write")
        if row.ended_on is not None:
            raise Conflict(
                detail="This match has already ended",
                extra=[{"key": "ended_on", "message": row.ended_on.isoformat()}],
            )
        ended_on = data.ended_on or local_today()
        if ended_on < row.started_on or ended_on > local_today():
            raise RuleViolation("A match ends between its start and today", field="ended_on")
        row.ended_on = ended_on
        row.end_reason = data.reason.strip()
        mentor = await self.session.get(Mentor, (self.actor.tenant_id, row.mentor_id))
        if mentor is not None and mentor.user_id is not None:
            held = await self.session.get(
                PersonAssignment, (self.actor.tenant_id, mentor.user_id, row.person_id)
            )
            # Only the access the match gave is taken back (not a key worker's, say).
            if held is not None and held.reason == MENTOR_REASON:
                await unassign(self.session, self.actor.tenant_id, row.person_id, mentor.user_id)
                self.access.forget(row.person_id)
        record(
            self.session,
            self.actor,
            "update",
            "mentor_match",
            row.id,
            person_id=row.person_id,
            detail={"ended_on": ended_on.isoformat()},
        )
        await self.session.commit()
        return row

    async def list_matches(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[MatchOut]:
        person = await self._person(person_id, "read")
        stmt = select(MentorMatch).where(
            MentorMatch.tenant_id == self.actor.tenant_id, MentorMatch.person_id == person.id
        )
        stmt = keyset(
            stmt,
            [MentorMatch.started_on, MentorMatch.id],
            cursor,
            limit,
            descending=True,
            convert=[date.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.started_on.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "mentor_match",
            person_id=person.id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[match_out(r) for r in rows], next_cursor=next_cursor)

    # ------------------------------------------------------------ sessions

    async def create_session(self, person_id: uuid.UUID, data: SessionCreate) -> MentoringSession:
        person = await self._person(person_id, "write")
        starts_at = data.starts_at.astimezone(UTC)
        now = utcnow()
        if data.status == SessionStatus.PLANNED and starts_at < now - CLOCK_SKEW:
            raise RuleViolation(
                "A planned session is in the future; log a past one as held or missed",
                field="status",
            )
        if (
            data.status in (SessionStatus.HELD, SessionStatus.MISSED)
            and starts_at > now + CLOCK_SKEW
        ):
            raise RuleViolation(
                f"A session cannot be {data.status} before it starts", field="starts_at"
            )
        mentor_id = data.mentor_id
        if mentor_id is None:
            match = await current_match(self.session, self.actor.tenant_id, person.id)
            if match is None:
                raise RuleViolation(
                    "The person has no mentor: give mentor_id or match a mentor first",
                    field="mentor_id",
                )
            mentor_id = match.mentor_id
        elif await self.session.get(Mentor, (self.actor.tenant_id, mentor_id)) is None:
            raise RuleViolation("No such mentor in this partnership", field="mentor_id")
        row = MentoringSession(
            tenant_id=self.actor.tenant_id,
            person_id=person.id,
            mentor_id=mentor_id,
            starts_at=starts_at,
            status=data.status,
            setting=data.setting,
            duration_minutes=data.duration_minutes,
            notes=clean(data.notes),
            recorded_by=self.actor.user_id,
        )
        self.session.add(row)
        await self.session.flush()
        record(
            self.session,
            self.actor,
            "create",
            "mentoring_session",
            row.id,
            person_id=person.id,
            detail={"status": row.status, "mentor_id": str(mentor_id)},
        )
        await self.session.commit()
        return row

    async def list_sessions(
        self, person_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> Page[SessionOut]:
        person = await self._person(person_id, "read")
        stmt = select(MentoringSession).where(
            MentoringSession.tenant_id == self.actor.tenant_id,
            MentoringSession.person_id == person.id,
        )
        stmt = keyset(
            stmt,
            [MentoringSession.starts_at, MentoringSession.id],
            cursor,
            limit,
            descending=True,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.starts_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "mentoring_session",
            person_id=person.id,
            detail={"returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[session_out(r) for r in rows], next_cursor=next_cursor)

    # ------------------------------------------------------------ gate and schedule

    async def update_gate_appointment(
        self, appointment_id: uuid.UUID, data: GateAppointmentUpdate
    ) -> GateAppointment:
        row = await self.session.get(
            GateAppointment, (self.actor.tenant_id, appointment_id), with_for_update=True
        )
        if row is None:
            raise not_found("Gate appointment")
        await self._person(row.person_id, "write")
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        if row.status != GateStatus.SCHEDULED and changes:
            raise RuleViolation(f"This gate appointment is already {row.status}", field="status")
        status = changes.get("status")
        if status in (GateStatus.MET, GateStatus.MISSED) and row.liberation_date > local_today():
            raise RuleViolation(
                "Whether the person was met is recorded on or after the day", field="status"
            )
        mentor_id = changes.get("mentor_id")
        if mentor_id is not None:
            mentor = await self.session.get(Mentor, (self.actor.tenant_id, mentor_id))
            if mentor is None or mentor.vetting_status != VettingStatus.CLEARED:
                raise RuleViolation(
                    "Only a cleared mentor of this partnership meets people at the gate",
                    field="mentor_id",
                )
        for name, value in changes.items():
            setattr(row, name, value)
        record(
            self.session,
            self.actor,
            "update",
            "gate_appointment",
            row.id,
            person_id=row.person_id,
            detail={"fields": sorted(changes), "status": row.status},
        )
        await self.session.commit()
        return row

    def _window(self, start: date | None, end: date | None) -> tuple[datetime, datetime]:
        start = start or local_today()
        end = end or start + timedelta(days=DEFAULT_SCHEDULE_DAYS)
        if end < start or (end - start).days > MAX_SCHEDULE_DAYS:
            raise ValidationException(
                detail=f"'to' must be on or after 'from', at most {MAX_SCHEDULE_DAYS} days on",
                extra=[{"key": "to", "message": "out of range"}],
            )
        begins = datetime.combine(start, time(0), tzinfo=UK_TIME).astimezone(UTC)
        ends = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UK_TIME).astimezone(UTC)
        return begins, ends

    async def _mentor_filter(self, mentor_id: uuid.UUID | None, mine: bool) -> Sequence[Any]:
        if not mine:
            return [mentor_id] if mentor_id is not None else []
        own = await self.session.scalar(
            select(Mentor.id).where(
                Mentor.tenant_id == self.actor.tenant_id, Mentor.user_id == self.actor.user_id
            )
        )
        if own is None:
            raise RuleViolation("You are not a mentor in this partnership", field="mine")
        return [own]

    async def list_gate_appointments(
        self,
        *,
        start: date | None,
        end: date | None,
        status: GateStatus | None,
        limit: int,
        cursor: str | None,
    ) -> Page[GateAppointmentOut]:
        begins, ends = self._window(start, end)
        stmt = select(GateAppointment).where(
            GateAppointment.tenant_id == self.actor.tenant_id,
            GateAppointment.meet_at >= begins,
            GateAppointment.meet_at < ends,
            self.access.person_filter(CATEGORY, "read", GateAppointment.person_id),
        )
        if status is not None:
            stmt = stmt.where(GateAppointment.status == status)
        stmt = keyset(
            stmt,
            [GateAppointment.meet_at, GateAppointment.id],
            cursor,
            limit,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.scalars(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.meet_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "gate_appointment",
            detail={"from": begins.isoformat(), "to": ends.isoformat(), "returned": len(rows)},
        )
        await self.session.commit()
        return Page(items=[gate_out(r) for r in rows], next_cursor=next_cursor)

    async def schedule(
        self,
        *,
        start: date | None,
        end: date | None,
        mentor_id: uuid.UUID | None,
        mine: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[ScheduleItem]:
        """Scheduled gate appointments and planned sessions, soonest first, in one page."""
        begins, ends = self._window(start, end)
        mentors = await self._mentor_filter(mentor_id, mine)
        gate = select(
            literal("gate_appointment", String()).label("kind"),
            GateAppointment.tenant_id.label("tenant_id"),
            GateAppointment.id.label("id"),
            GateAppointment.person_id.label("person_id"),
            GateAppointment.mentor_id.label("mentor_id"),
            GateAppointment.meet_at.label("starts_at"),
        ).where(
            GateAppointment.tenant_id == self.actor.tenant_id,
            GateAppointment.status == GateStatus.SCHEDULED,
            GateAppointment.meet_at >= begins,
            GateAppointment.meet_at < ends,
        )
        sessions = select(
            literal("session", String()).label("kind"),
            MentoringSession.tenant_id.label("tenant_id"),
            MentoringSession.id.label("id"),
            MentoringSession.person_id.label("person_id"),
            MentoringSession.mentor_id.label("mentor_id"),
            MentoringSession.starts_at.label("starts_at"),
        ).where(
            MentoringSession.tenant_id == self.actor.tenant_id,
            MentoringSession.status == SessionStatus.PLANNED,
            MentoringSession.starts_at >= begins,
            MentoringSession.starts_at < ends,
        )
        if mentors:
            gate = gate.where(GateAppointment.mentor_id.in_(mentors))
            sessions = sessions.where(MentoringSession.mentor_id.in_(mentors))
        both = union_all(gate, sessions).subquery()
        stmt = select(both).where(self.access.person_filter(CATEGORY, "read", both.c.person_id))
        stmt = keyset(
            stmt,
            [both.c.starts_at, both.c.id],
            cursor,
            limit,
            convert=[utc_cursor_time, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r.starts_at.isoformat(), str(r.id)])
        record(
            self.session,
            self.actor,
            "list",
            "peer_mentoring_schedule",
            detail={
                "from": begins.isoformat(),
                "to": ends.isoformat(),
                "mentor_ids": [str(m) for m in mentors],
                "returned": len(rows),
            },
        )
        await self.session.commit()
        return Page(
            items=[
                ScheduleItem(
                    kind=r.kind,
                    id=r.id,
                    person_id=r.person_id,
                    mentor_id=r.mentor_id,
                    starts_at=r.starts_at,
                )
                for r in rows
            ],
            next_cursor=next_cursor,
        )


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
