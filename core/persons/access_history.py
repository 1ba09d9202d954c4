"""Who viewed or changed one person's record: the audit trail read back, for people.

The partnership lead sees every access; any other member sees only their own
organisation's users' accesses (a partner answers for its own staff); an analyst sees
none. Reading the history is itself audited.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec
from litestar.exceptions import PermissionDeniedException, ValidationException
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.audit.models import AuditEvent
from core.audit.services import record
from core.authz.access import SCOPE_PHRASE, Access
from core.authz.actor import Actor
from core.interventions.models import Intervention
from core.pagination import Page, keyset, page_of
from core.tenancy.models import Organisation
from core.vocabulary import RECORD_CATEGORIES

LEAD_ROLE = "partnership_lead"
BREAK_GLASS = "break-glass"

# Audit record types whose category is fixed (the rest carry it in the event or the row).
TYPE_CATEGORIES = {name.split(".")[0]: category for name, category in RECORD_CATEGORIES.items()} | {
    "person": "identity"
}


class AccessEntry(msgspec.Struct):
    """One access to the person's record, in words a person can read."""

    id: uuid.UUID
    at: datetime
    user_id: uuid.UUID | None
    user_name: str | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    roles: list[str]
    action: str
    record_type: str
    record_id: uuid.UUID | None
    categories: list[str]
    # The stored rule text (``r:case_worker, health, read, own_organisation, consent``),
    # and the same in the matrix's words.
    rule: str | None
    rule_words: str | None
    break_glass: bool
    request_id: str | None


# No audit event predates the portal; bounding the dates keeps day arithmetic and the
# databases' own date ranges from ever failing on a far-off date (found by the fuzzer).
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


class HistoryFilters(msgspec.Struct, frozen=True):
    organisation_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not EARLIEST <= value <= LATEST:
                message = f"Give a date between {EARLIEST:%-d %B %Y} and {LATEST:%-d %B %Y}"
                raise ValidationException(detail=message, extra=[{"key": name, "message": message}])


def subject_words(subject: str) -> str:
    kind, _, name = subject.partition(":")
    if kind == "r":
        return f"{name.replace('_', ' ').capitalize()} (role)"
    if kind == "k":
        return f"{'NHS' if name == 'nhs' else name.replace('_', ' ')} (organisations)"
    if kind == "u":
        return "This user (personal grant)"
    return subject


def rule_words(rule: str | None) -> str | None:
    """A stored rule as the matrix shows it: who, category, action, for whom, consent."""
    if not rule:
        return None
    if rule == BREAK_GLASS:
        return "Break-glass: emergency access, reviewed by the partnership lead"
    parts = [p.strip() for p in rule.split(",")]
    if len(parts) != 5:
        return rule.replace("_", " ")
    subject, category, action, scope, consent = parts
    whom = SCOPE_PHRASE.get(scope, scope.replace("_", " "))
    whom = f"anyone {whom}" if scope == "partnership" else f"people {whom}"
    needs = "with the person's consent" if consent == "consent" else "without consent"
    return f"{subject_words(subject)}: {action} {category.replace('_', ' ')} for {whom}, {needs}"


def entry_rules(event: AuditEvent) -> list[str]:
    """Every rule behind one event: the column, and per category when the read names them."""
    rules = [event.rule] if event.rule else []
    per_category = event.detail.get("rules") if isinstance(event.detail, dict) else None
    if isinstance(per_category, dict):
        rules += [str(r) for r in per_category.values() if r and str(r) not in rules]
    return rules


def event_categories(event: AuditEvent, row_categories: dict[uuid.UUID, str]) -> list[str]:
    detail = event.detail if isinstance(event.detail, dict) else {}
    if isinstance(detail.get("categories"), list):
        return sorted(str(c) for c in detail["categories"])
    if isinstance(detail.get("category"), str):
        return [detail["category"]]
    if event.record_id is not None and event.record_id in row_categories:
        return [row_categories[event.record_id]]
    if event.action in ("deny", "break_glass"):
        # These name the category itself as their record type.
        return [event.record_type]
    category = TYPE_CATEGORIES.get(event.record_type)
    return [category] if category else []


class AccessHistoryService:
    def __init__(self, session: AsyncSession, access: Access) -> None:
        self.session = session
        self.access = access
        self.actor: Actor = access.actor

    async def check(self, person_id: uuid.UUID) -> None:
        """404 for a person the user may not know of; 403 for a role that sees no history."""
        await self.access.visible_person(person_id)
        if not self.actor.has_role(LEAD_ROLE) and set(self.actor.roles) <= {"analyst"}:
            raise PermissionDeniedException(detail="Your role does not see access histories")

    def statement(self, person_id: uuid.UUID, filters: HistoryFilters) -> Select[Any]:
        tenant = self.actor.tenant_id
        conditions: list[ColumnElement[bool]] = [
            AuditEvent.tenant_id == tenant,
            AuditEvent.person_id == person_id,
        ]
        if not self.actor.has_role(LEAD_ROLE):
            # A partner answers for its own organisation's accesses, not the others'.
            conditions.append(AuditEvent.organisation_id == self.actor.organisation_id)
        if filters.organisation_id:
            conditions.append(AuditEvent.organisation_id == filters.organisation_id)
        if filters.user_id:
            conditions.append(AuditEvent.user_id == filters.user_id)
        if filters.action:
            conditions.append(AuditEvent.action == filters.action)
        if filters.since:
            conditions.append(AuditEvent.at >= datetime.combine(filters.since, time.min))
        if filters.until:
            end = datetime.combine(filters.until + timedelta(days=1), time.min)
            conditions.append(AuditEvent.at < end)
        return (
            select(AuditEvent, User.display_name, Organisation.name, Membership.roles)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .outerjoin(
                Organisation,
                and_(
                    Organisation.tenant_id == tenant, Organisation.id == AuditEvent.organisation_id
                ),
            )
            .outerjoin(
                Membership,
                and_(Membership.tenant_id == tenant, Membership.user_id == AuditEvent.user_id),
            )
            .where(*conditions)
        )

    async def _fetch(
        self, person_id: uuid.UUID, filters: HistoryFilters, cursor: str | None, limit: int
    ) -> tuple[list[AccessEntry], str | None]:
        stmt = keyset(
            self.statement(person_id, filters),
            [AuditEvent.at, AuditEvent.id],
            cursor,
            limit,
            descending=True,
            convert=[datetime.fromisoformat, uuid.UUID],
        )
        rows = list((await self.session.execute(stmt)).all())
        rows, next_cursor = page_of(rows, limit, lambda r: [r[0].at.isoformat(), str(r[0].id)])
        return await self._entries(rows), next_cursor

    async def _entries(self, rows: list[Any]) -> list[AccessEntry]:
        # An intervention's category is its own row's; one query for the page, not per row.
        ids = {r[0].record_id for r in rows if r[0].record_type == "intervention"}
        ids.discard(None)
        row_categories: dict[uuid.UUID, str] = {}
        if ids:
            found = await self.session.execute(
                select(Intervention.id, Intervention.category).where(
                    Intervention.tenant_id == self.actor.tenant_id, Intervention.id.in_(ids)
                )
            )
            row_categories = {rid: cat for rid, cat in found.all()}
        out = []
        for event, user_name, organisation_name, roles in rows:
            rules = entry_rules(event)
            out.append(
                AccessEntry(
                    id=event.id,
                    at=event.at,
                    user_id=event.user_id,
                    user_name=user_name,
                    organisation_id=event.organisation_id,
                    organisation_name=organisation_name,
                    roles=list(roles or []),
                    action=event.action,
                    record_type=event.record_type,
                    record_id=event.record_id,
                    categories=event_categories(event, row_categories),
                    rule="; ".join(rules) or None,
                    rule_words="; ".join(w for w in map(rule_words, rules) if w) or None,
                    break_glass=BREAK_GLASS in rules or event.action == "break_glass",
                    request_id=event.request_id,
                )
            )
        return out

    def _audit(self, person_id: uuid.UUID, filters: HistoryFilters, how: str, count: int) -> None:
        record(
            self.session,
            self.actor,
            "read",
            "access_history",
            person_id=person_id,
            detail={"as": how, "returned": count, **msgspec.to_builtins(filters)},
        )

    async def page(
        self,
        person_id: uuid.UUID,
        filters: HistoryFilters,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[AccessEntry]:
        await self.check(person_id)
        items, next_cursor = await self._fetch(person_id, filters, cursor, limit)
        self._audit(person_id, filters, "page", len(items))
        await self.session.commit()
        return Page(items=items, next_cursor=next_cursor)

    async def everything(
        self, person_id: uuid.UUID, filters: HistoryFilters, *, chunk: int = 200
    ) -> AsyncIterator[AccessEntry]:
        """Every matching entry, newest first, fetched a keyset page at a time."""
        cursor: str | None = None
        while True:
            items, cursor = await self._fetch(person_id, filters, cursor, chunk)
            for item in items:
                yield item
            if cursor is None:
                return

    async def all_entries(self, person_id: uuid.UUID, filters: HistoryFilters) -> list[AccessEntry]:
        """For the CSV: checked and audited as one read of the whole history."""
        await self.check(person_id)
        entries = [e async for e in self.everything(person_id, filters)]
        self._audit(person_id, filters, "csv", len(entries))
        await self.session.commit()
        return entries


CSV_COLUMNS = (
    "at",
    "user_name",
    "organisation_name",
    "roles",
    "action",
    "record_type",
    "record_id",
    "categories",
    "rule",
    "rule_words",
    "break_glass",
    "request_id",
    "user_id",
    "organisation_id",
    "id",
)


def csv_row(entry: AccessEntry) -> list[str]:
    values = msgspec.to_builtins(entry)
    out = []
    for column in CSV_COLUMNS:
        value = values[column]
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        text = "" if value is None else str(value)
        # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it.
        out.append("'" + text if text[:1] in ("=", "+", "-", "@") else text)
    return out


# What the single read of a person returns: who they are and where they are held.
PERSON_READ_CATEGORIES = frozenset({"identity", "custody"})


async def person_read_detail(
    access: Access, person_id: uuid.UUID, readable: set[str]
) -> dict[str, Any]:
    """The audit detail of a read of the person: the categories read, each with its rule."""
    read = sorted(readable & PERSON_READ_CATEGORIES)
    rules = {c: (await access.decide(c, "read", person_id)).rule for c in read}
    return {"categories": read, "rules": rules}


async def person_read_rule(access: Access, person_id: uuid.UUID, readable: set[str]) -> str | None:
    """The rule column of that read: break-glass when any part of it came through one."""
    detail = await person_read_detail(access, person_id, readable)
    rules = detail["rules"]
    if BREAK_GLASS in rules.values():
        return BREAK_GLASS
    return rules.get("identity") or next(iter(rules.values()), None)
