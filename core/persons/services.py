"""People: the caseload list, the audited single read, create and update."""

from __future__ import annotations

import uuid
from datetime import date
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import (
    Integer,
    Select,
    Subquery,
    bindparam,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.authz.actor import Actor
from core.authz.fields import PERSON_VIEW_CATEGORIES, project
from core.authz.relations import decide_organisation
from core.errors import Conflict, RuleViolation, not_found
from core.events import publish
from core.pagination import Page, check_limit, cursor_key, keyset, page_of
from core.persons.access_history import person_read_detail, person_read_rule
from core.persons.models import Location, Person
from core.persons.reads import (
    PERSON_COLUMNS,
    PersonRecord,
    person_record,
    readable_columns,
    readable_of,
    record_statement,
    relation_of,
)
from core.persons.schemas import (
    PersonCreate,
    PersonSummary,
    PersonUpdate,
    clean_name,
    nhs_number_valid,
)
from core.persons.search import person_search


def sort_name(family_name: str, given_name: str) -> str:
    return f"{family_name} {given_name}".lower()


async def get_person_row(session: AsyncSession, actor: Actor, person_id: uuid.UUID) -> Person:
    """The person in the actor's tenant, or the same 404 whether absent or elsewhere."""
    person = await session.get(Person, (actor.tenant_id, person_id))
    if person is None:
        raise not_found("Person")
    return person


CUSTODY_FIELDS = ("location", "establishment", "reception_date", "liberation_date")


def summary(person: Any, readable: set[str]) -> PersonSummary:
    return project(PersonSummary, readable, person)


def caseload_query(
    access: Access,
    *,
    q: str | None,
    location: Location | None,
    cursor: str | None,
    limit: int,
) -> tuple[Select[Any], dict[str, Any]]:
    """The caseload page's statement, and the parameters to run it with.

    The caseload is everyone whose identity the protocol lets this user read. Unfiltered,
    a scoped user's page is read from their own index ranges (the same grants, from the
    relation tables' side), by a statement kept from one request to the next. A search
    or filter applied after those candidates could leave a page short, so then the
    protocol is a WHERE clause instead.
    """
    convert = [None, uuid.UUID]
    searching = bool(q and q.strip())
    if not searching and location is None:
        check_limit(limit)
        after = cursor_key(cursor, 2, convert)
        tenant_id = access.actor.tenant_id
        page = access.caseload("identity", after, limit + 1)
        if page is None:  # the protocol lets this user see everyone in the partnership
            return caseload_statement(None, tenant_id, after is not None), page_params(
                after, limit + 1
            )
        return caseload_statement(page.rows, tenant_id, after is not None), page.params
    stmt = select(*PERSON_COLUMNS).where(
        Person.tenant_id == access.actor.tenant_id, access.person_filter("identity")
    )
    if q and searching:
        stmt = stmt.where(person_search(q))
    if location is not None:
        # Filtering on where someone is shows it: only people whose custody is shared.
        stmt = stmt.where(Person.location == location, access.person_filter("custody"))
    return keyset(stmt, [Person.sort_name, Person.id], cursor, limit, convert=convert), {}


def page_params(after: tuple[str, uuid.UUID] | None, limit: int) -> dict[str, Any]:
    """The parameters of :func:`caseload_statement` for one page."""
    params: dict[str, Any] = {"caseload_limit": limit}
    if after is not None:
        params["caseload_after_sort_name"], params["caseload_after_person_id"] = after
    return params


@lru_cache(maxsize=4096)
def caseload_statement(
    candidates: Subquery | None, tenant_id: uuid.UUID, has_after: bool
) -> Select[Any]:
    """A page of the unfiltered caseload, in name order: one statement, kept.

    ``candidates`` are a scoped viewer's next people, from their own index ranges (see
    ``Access.caseload``); None for a viewer who sees the whole partnership. Kept from one
    request to the next, like the candidates' own statement, because building and keying
    SQL costs more than running it for a page: the cursor and page size are parameters.
    """
    stmt = select(*PERSON_COLUMNS).where(Person.tenant_id == tenant_id)
    if candidates is not None:
        stmt = stmt.join(candidates, Person.id == candidates.c.person_id)
    if has_after:
        after = tuple_(
            bindparam("caseload_after_sort_name", type_=Person.sort_name.type),
            bindparam("caseload_after_person_id", type_=Person.id.type),
        )
        stmt = stmt.where(tuple_(Person.sort_name, Person.id) > after)
    limit = bindparam("caseload_limit", type_=Integer)
    return stmt.order_by(Person.sort_name, Person.id).limit(limit)


class PersonService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor

    async def list(
        self,
        *,
        q: str | None,
        location: Location | None,
        limit: int,
        cursor: str | None,
    ) -> Page[PersonSummary]:
        stmt, params = caseload_query(
            self.access, q=q, location=location, cursor=cursor, limit=limit
        )
        # The categories each row may show, decided in the same statement.
        stmt = stmt.add_columns(*readable_columns(self.access, PERSON_VIEW_CATEGORIES))
        rows = list((await self.session.execute(stmt, params)).all())
        rows, next_cursor = page_of(rows, limit, lambda p: [p.sort_name, str(p.id)])
        record(
            self.session,
            self.actor,
            "list",
            "person",
            detail={"q": q, "location": location, "returned": len(rows)},
        )
        await self.session.commit()
        return Page(
            items=[summary(p, readable_of(p, PERSON_VIEW_CATEGORIES)) for p in rows],
            next_cursor=next_cursor,
        )

    async def get(self, person_id: uuid.UUID) -> tuple[PersonRecord, set[str]]:
        """The person and the categories this user may read of them (audited, with both)."""
        # One visibility-filtered statement, so an unknown id and a person this user may not
        # see cost the same work and give the same 404: neither their existence nor their
        # relation to the user shows in the answer or its timing. It carries how the user
        # stands to the person too, so the decisions below ask the database nothing more.
        row = (await self.session.execute(record_statement(self.access, person_id))).first()
        if row is None:
            raise not_found("Person")
        # Access.relation's cache, filled from this row's relation facts (same terms).
        self.access._relations[person_id] = relation_of(row)
        person = person_record(row)
        readable = await self.access.readable_categories(person_id)
        record(
            self.session,
            self.actor,
            "read",
            "person",
            person.id,
            person_id=person.id,
            rule=await person_read_rule(self.access, person.id, readable),
            detail=await person_read_detail(self.access, person.id, readable),
        )
        await self.session.commit()
        return person, readable

    async def create(self, data: PersonCreate) -> Person:
        values = msgspec.structs.asdict(data)
        values["given_name"] = clean_name(data.given_name)
        values["family_name"] = clean_name(data.family_name)
        if values["prison_number"]:
            values["prison_number"] = values["prison_number"].upper()
        # Permission first: a user who may not register people learns nothing from the
        # answer (a 409 for a prison number in use would tell them it exists).
        if not self.access.can("identity", "write"):
            await self.access.require_tenant("identity", "write")
        await self._check(values, None)
        person = Person(
            tenant_id=self.actor.tenant_id,
            sort_name=sort_name(values["family_name"], values["given_name"]),
            **values,
        )
        self.session.add(person)
        await self.session.flush()
        # Registering a new person is itself the decision that the registering organisation
        # works with them (nobody else's record is reached by it): recorded and audited.
        await decide_organisation(
            self.access, person.id, self.actor.organisation_id, "registered", checked=True
        )
        await self._announce(person, {"liberation_date": None, "location": person.location})
        record(self.session, self.actor, "create", "person", person.id, person_id=person.id)
        await self.session.commit()
        return person

    async def update(self, person_id: uuid.UUID, data: PersonUpdate) -> Person:
        person = await self.access.visible_person(person_id)
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        # Where someone is held and when they leave is custody; who they are is identity.
        if set(changes) - set(CUSTODY_FIELDS):
            await self.access.require("identity", "write", person_id)
        if set(changes) & set(CUSTODY_FIELDS):
            await self.access.require("custody", "write", person_id)
        for name in ("given_name", "family_name"):
            if name in changes:
                changes[name] = clean_name(changes[name])
        if changes.get("prison_number"):
            changes["prison_number"] = changes["prison_number"].upper()
        merged = {
            f.name: getattr(person, f.name) for f in msgspec.structs.fields(PersonCreate)
        } | changes
        await self._check(merged, person.id)
        before = {name: getattr(person, name) for name in ("liberation_date", "location")}
        for name, value in changes.items():
            setattr(person, name, value)
        person.sort_name = sort_name(person.family_name, person.given_name)
        await self._announce(person, before)
        record(
            self.session,
            self.actor,
            "update",
            "person",
            person.id,
            person_id=person.id,
            detail={"fields": sorted(changes)},
        )
        await self.session.commit()
        return person

    async def _announce(self, person: Person, before: dict[str, Any]) -> None:
        """Events for the plugins (gate appointment, housing board), in this transaction."""
        old, new = before["liberation_date"], person.liberation_date
        if old != new:
            await publish(
                self.session,
                self.actor,
                "liberation_date_set",
                person_id=person.id,
                data={
                    "old": old.isoformat() if old else None,
                    "new": new.isoformat() if new else None,
                },
            )
        if before["location"] != person.location and person.location == Location.IN_COMMUNITY:
            await publish(
                self.session,
                self.actor,
                "person_released",
                person_id=person.id,
                data={"on": (new or clock.today()).isoformat()},
            )

    async def _check(self, values: dict[str, Any], person_id: uuid.UUID | None) -> None:
        today = clock.today()
        dob: date = values["date_of_birth"]
        if dob > today or dob.year < 1900:
            raise RuleViolation(
                "Date of birth must be a past date after 1900", field="date_of_birth"
            )
        reception, liberation = values.get("reception_date"), values.get("liberation_date")
        if reception and reception > today:
            raise RuleViolation("Reception date cannot be in the future", field="reception_date")
        if reception and reception < dob:
            raise RuleViolation(
                "Reception date is before the date of birth", field="reception_date"
            )
        if reception and liberation and liberation < reception:
            raise RuleViolation(
                "Liberation date cannot be before the reception date", field="liberation_date"
            )
        nhs = values.get("nhs_number")
        if nhs and not nhs_number_valid(nhs):
            raise RuleViolation(
                "NHS/CHI number fails its check digit; please check it", field="nhs_number"
            )
        prison_number = values.get("prison_number")
        if prison_number:
            clash = await self.session.scalar(
                select(Person.id).where(
                    Person.tenant_id == self.actor.tenant_id,
                    Person.prison_number == prison_number,
                    Person.id != person_id if person_id else True,
                )
            )
            if clash:
                raise Conflict(
                    detail="Another person already has this prison number",
                    extra=[{"key": "prison_number", "message": "already in use"}],
                )
