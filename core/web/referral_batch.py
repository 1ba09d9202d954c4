"""The night's referrals on one form, from the daily meeting's agenda.

A prison's night reports arrive as a handful of names and prison numbers. Each row names
one person already on the partnership's caseload by prison number, with the name as a
check (a mistyped number must never refer the wrong person), where the referral came from
and why. Every row is checked before any is saved, each error naming its row and field,
and everything typed comes back. Each referral is then made by the referral service, so
the protocol's write check and the audit apply to every one of them exactly as on a
person's record; when today's meeting has already started, the person joins it too.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.meetings.models import MeetingKind
from core.meetings.outputs import REFERRAL_CATEGORY
from core.meetings.schemas import ItemCreate
from core.meetings.services import MeetingService
from core.persons.models import Person
from core.referrals.models import ReferralSource
from core.referrals.schemas import ReferralCreate
from core.referrals.services import ReferralService
from core.web import queries
from core.web.context import render
from core.web.forms import (
    KEPT_STATUSES,
    FormErrors,
    form_values,
    parse_date,
    save_form,
    uk_moment,
)
from core.web.services import domain_service

BATCH = "/t/{tenant:str}/meeting/referrals"
ROWS = 5  # a night's reports rarely run longer; "Add more rows" gives another five
MAX_ROWS = 30
FIELDS = ("name", "prison_number", "source", "reason")
DEFAULT_SOURCE = ReferralSource.STAFF_CONCERN.value  # a night report
REASON_LIMIT = 4_000  # ReferralCreate's own limit
SERVICE_MESSAGES = {
    "reason": f"The reason must be {REASON_LIMIT:,} characters or fewer",
    "received_at": "Enter the date the referrals were received",
    "source": "Select where the referral came from",
}


@dataclass
class Row:
    """One row of the form as typed, and the person it was found to name."""

    number: int
    values: dict[str, str]
    person: Person | None = None
    writable: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        # The source has a default, so a row counts as used only once something is typed.
        return not any(self.values[f] for f in ("name", "prison_number", "reason"))

    def key(self, name: str) -> str:
        return f"{name}-{self.number}"


def batch_url(actor: Actor) -> str:
    return f"/t/{actor.tenant_slug}/meeting/referrals"


def read_rows(values: dict[str, str], count: int) -> list[Row]:
    return [Row(n, {f: values.get(f"{f}-{n}", "") for f in FIELDS}) for n in range(1, count + 1)]


def words(text: str) -> list[str]:
    """Letters only, lower case; an apostrophe joins (O'Neil), anything else separates."""
    return re.findall(r"[^\W\d_]+", text.lower().replace("'", "").replace("\u2019", ""))


def names_match(typed: str, person: Person) -> bool:
    """The typed name carries the person's family name, in any order or form ("Owens, Pat",
    "Pat Owens"): enough to catch a mistyped prison number, lenient about given names."""
    typed_words = set(words(typed))
    family = words(person.family_name)
    return bool(family) and all(w in typed_words for w in family)


def full_name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}"


async def find_people(
    session: AsyncSession, access: Access, numbers: set[str]
) -> dict[str, tuple[Person, bool]]:
    """By prison number, the people whose identity the viewer may read, each with whether
    the viewer may refer them (the referral write, decided in the same query as the read).
    Anyone else reads as not found, as on the meeting's own "add by prison number"."""
    if not numbers:
        return {}
    rows = await session.execute(
        select(Person, access.person_filter(REFERRAL_CATEGORY, "write", person_id=Person.id)).where(
            Person.tenant_id == access.actor.tenant_id,
            Person.prison_number.in_(numbers),
            access.person_filter("identity", person_id=Person.id),
        )
    )
    return {p.prison_number: (p, bool(w)) for p, w in rows.all() if p.prison_number}


def check_row(row: Row, found: dict[str, tuple[Person, bool]], seen: dict[uuid.UUID, int]) -> None:
    """The row's own errors, in the order its fields appear."""
    v, n = row.values, row.number
    if not v["name"]:
        row.errors[row.key("name")] = f"Referral {n}: enter the person's name"
    number = v["prison_number"].upper()
    if not number:
        row.errors[row.key("prison_number")] = f"Referral {n}: enter the person's prison number"
    elif number not in found:
        row.errors[row.key("prison_number")] = (
            f"Referral {n}: no person with prison number {number} was found"
        )
    else:
        row.person, row.writable = found[number]
        name = full_name(row.person)
        if v["name"] and not names_match(v["name"], row.person):
            row.errors[row.key("name")] = (
                f"Referral {n}: prison number {number} is {name}, not {v['name']}: "
                "check the name and the number"
            )
        elif row.person.id in seen:
            row.errors[row.key("prison_number")] = (
                f"Referral {n}: {name} is already on referral {seen[row.person.id]}"
            )
        elif not row.writable:
            row.errors[row.key("prison_number")] = (
                f"Referral {n}: the sharing protocol does not let your organisation refer {name}"
            )
        seen.setdefault(row.person.id, n)
    if v["source"] not in {s.value for s in ReferralSource}:
        row.errors[row.key("source")] = f"Referral {n}: select where the referral came from"
    if len(v["reason"]) > REASON_LIMIT:
        row.errors[row.key("reason")] = (
            f"Referral {n}: the reason must be {REASON_LIMIT:,} characters or fewer"
        )


def received_at(values: dict[str, str], errors: FormErrors) -> tuple[bool, str | None]:
    """Whether the batch's date is good, and the time to record (None is now)."""
    day = parse_date(values, "received_on", errors, "Date received")
    if day is None:
        if "received_on" not in errors and not any(
            values.get(f"received_on-{p}") for p in ("day", "month", "year")
        ):
            return True, None
        return False, None
    if day > clock.today():
        errors.add("received_on", "Date received must be today or in the past")
        return False, None
    return True, None if day == clock.today() else uk_moment(day, None).isoformat()


def audit_lookups(access: Access, rows: list[Row]) -> None:
    """Finding someone by prison number shows the user their name: a read of their
    identity, recorded like any other (with no referral yet made)."""
    for row in rows:
        if row.person is not None:
            record(
                access.session,
                access.actor,
                "read",
                "person",
                row.person.id,
                person_id=row.person.id,
                detail={"by": "prison_number", "page": "referral_batch"},
            )


async def todays_open_meeting(service: MeetingService) -> uuid.UUID | None:
    today = clock.today()
    found = await service.list(
        held_from=today, held_to=today, kind=MeetingKind.DAILY, limit=1, cursor=None
    )
    meeting = found.items[0] if found.items else None
    return meeting.id if meeting is not None and meeting.closed_at is None else None


async def batch_page(
    request: Request[Any, Any, Any],
    access: Access,
    session: AsyncSession,
    values: dict[str, str],
    errors: FormErrors,
    count: int,
    *,
    saved: int = 0,
) -> Template:
    actor = access.actor
    return render(
        request,
        "pages/referral_batch.html",
        actor,
        rows=list(range(1, count + 1)),
        values=values,
        errors=errors,
        saved=saved,
        sources=[s.value for s in ReferralSource],
        tenant_name=await queries.tenant_name(session, actor),
        status_code=400 if errors else 200,
    )


def blank_values(count: int) -> dict[str, str]:
    today = clock.today()
    return {f"source-{n}": DEFAULT_SOURCE for n in range(1, count + 1)} | {
        "received_on-day": str(today.day),
        "received_on-month": str(today.month),
        "received_on-year": str(today.year),
    }


def row_count(values: dict[str, str]) -> int:
    try:
        count = int(values.get("rows", ROWS))
    except ValueError:
        count = ROWS
    return max(ROWS, min(count, MAX_ROWS))


@get(BATCH, include_in_schema=False)
async def referral_batch_form(
    request: Request[Any, Any, Any],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    saved: Annotated[int, QueryParameter(ge=0, le=MAX_ROWS)] = 0,
) -> Template:
    # The same decision as each referral's write: a role that may refer nobody gets the
    # plain refusal page, never a form it cannot send.
    await access.require_tenant(REFERRAL_CATEGORY, "write")
    return await batch_page(
        request, access, db_session, blank_values(ROWS), FormErrors(), ROWS, saved=saved
    )


@post(BATCH, include_in_schema=False)
async def referral_batch_submit(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    await access.require_tenant(REFERRAL_CATEGORY, "write")
    values = form_values(await request.form())
    count = row_count(values)
    if values.get("more") == "yes":
        # "Add more rows" sends what was typed and gets it back with five more rows.
        more = min(count + ROWS, MAX_ROWS)
        extra = {f"source-{n}": DEFAULT_SOURCE for n in range(count + 1, more + 1)}
        return await batch_page(request, access, db_session, extra | values, FormErrors(), more)
    errors = FormErrors()
    date_ok, when = received_at(values, errors)
    rows = [r for r in read_rows(values, count) if not r.blank]
    found = await find_people(db_session, access, {r.values["prison_number"].upper() for r in rows})
    seen: dict[uuid.UUID, int] = {}
    for row in rows:
        check_row(row, found, seen)
        for key, message in row.errors.items():
            errors.add(key, message)
    if not rows:
        errors.add("name-1", "Enter at least one referral")
    audit_lookups(access, rows)
    await db_session.commit()
    if errors or not date_ok:
        return await batch_page(request, access, db_session, values, errors, count)
    saved = await save_rows(access, db_session, rows, when, values, errors)
    if errors:
        return await batch_page(request, access, db_session, values, errors, count, saved=saved)
    return Redirect(f"{batch_url(actor)}?saved={saved}")


async def save_rows(
    access: Access,
    session: AsyncSession,
    rows: list[Row],
    when: str | None,
    values: dict[str, str],
    errors: FormErrors,
) -> int:
    """Make each referral through the service; how many were made. Should one still be
    refused (the protocol changed since the check), the rows already saved are cleared
    from ``values`` so nothing is referred twice, and the rest come back as typed."""
    referrals = ReferralService(session, access)
    meetings = domain_service(MeetingService, session, access)
    meeting_id = await todays_open_meeting(meetings)
    saved = 0
    for row in rows:
        assert row.person is not None  # check_row found everyone before any save
        person_id = row.person.id

        async def refer(data: ReferralCreate, person_id: uuid.UUID = person_id) -> None:
            referral = await referrals.create(data)
            if meeting_id is not None:
                await join_meeting(meetings, meeting_id, person_id, referral.source)

        row_errors = FormErrors()
        data = {
            "person_id": str(person_id),
            "source": row.values["source"],
            "reason": row.values["reason"] or None,
            "received_at": when,
        }
        if not await save_form(
            session, data, ReferralCreate, row_errors, SERVICE_MESSAGES, refer, "prison_number"
        ):
            for key, message in row_errors.items():
                name = key if key in FIELDS else "prison_number"
                errors.add(row.key(name), f"Referral {row.number}: {message}")
            return saved
        saved += 1
        for name in FIELDS:
            values.pop(row.key(name), None)
    return saved


async def join_meeting(
    service: MeetingService, meeting_id: uuid.UUID, person_id: uuid.UUID, source: str
) -> None:
    """Today's meeting has started: the person joins it, as the agenda would have put them.

    The referral is already saved (its own transaction) when this runs, so a person the
    meeting cannot take (already on it, or the meeting closed a moment ago) is left off
    it rather than reported as a failed referral and referred twice on a resubmit: they
    are on the next agenda either way."""
    reason = f"New referral ({source.replace('_', ' ')})"
    try:
        await service.add_item(meeting_id, ItemCreate(person_id=person_id, reason=reason))
    except HTTPException as exc:
        if exc.status_code not in KEPT_STATUSES:
            raise
        await service.session.rollback()


HANDLERS = [referral_batch_form, referral_batch_submit]
