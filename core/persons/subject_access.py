"""The subject-access export: everything the partnership holds on one person.

Under UK GDPR the partnership, as controller, must answer a subject-access request with
all it holds, whatever any one reader's grants: so only the partnership lead may make
the export, with a reason, and the export is audited (and shows in the person's access
history, in the file itself too). Core's tables are found from the metadata (any core
table with a ``person_id``, and tables hanging from those); each plugin adds its own
through the ``subject_access_sections`` hook.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.services import record
from core.authz.access import Access
from core.db.base import Base, utcnow
from core.persons.access_history import (
    LEAD_ROLE,
    AccessEntry,
    AccessHistoryService,
    HistoryFilters,
)
from core.persons.models import Person
from core.persons.services import get_person_row
from core.plugins import tenant_hook
from core.tenancy.models import Tenant
from core.vocabulary import RECORD_CATEGORIES

Loader = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[list[dict[str, Any]]]]

# The access history is its own part of the export, read through its own service.
NOT_A_SECTION = frozenset({"audit_events", "persons"})

TABLE_CATEGORIES = {
    "referrals": RECORD_CATEGORIES["referral"],
    "episodes": RECORD_CATEGORIES["episode"],
    "episode_phase_changes": RECORD_CATEGORIES["episode"],
    "consents": RECORD_CATEGORIES["consent"],
    "recovery_plans": RECORD_CATEGORIES["recovery_plan"],
    "plan_actions": RECORD_CATEGORIES["recovery_plan"],
    "plan_reviews": RECORD_CATEGORIES["recovery_plan"],
    "outcome_reviews": RECORD_CATEGORIES["outcome_review"],
    "meeting_items": RECORD_CATEGORIES["meeting_item"],
    "meeting_actions": RECORD_CATEGORIES["meeting_item"],
}


@dataclass(frozen=True)
class SubjectAccessSource:
    """One part of the export: a name, the sharing category it belongs to, and a loader
    ``async (session, tenant_id, person_id) -> rows`` (JSON-able dicts). It must not write."""

    name: str
    category: str
    load: Loader


class ExportSection(msgspec.Struct):
    name: str
    source: str  # "core" or the plugin's name
    category: str
    rows: list[dict[str, Any]]


class SubjectAccessExport(msgspec.Struct):
    partnership: str
    person_id: uuid.UUID
    produced_at: datetime
    produced_by: str
    reason: str
    person: dict[str, Any]
    categories: list[str]
    sections: list[ExportSection]
    access_history: list[AccessEntry]


class SubjectAccessRequest(msgspec.Struct, forbid_unknown_fields=True):
    # Why the export is made (e.g. the request's reference): kept in the audit trail.
    reason: Annotated[str, msgspec.Meta(min_length=5, max_length=500)]


def as_row(table: Table, row: Any) -> dict[str, Any]:
    return {str(c.name): msgspec.to_builtins(row[c.name]) for c in table.columns}


def parent_link(table: Table) -> tuple[str, Table] | None:
    """For a table without ``person_id``: its column that points at a table that has one."""
    for fk in table.foreign_key_constraints:
        parent = fk.referred_table
        if "person_id" not in parent.c:
            continue
        local = [c.name for c in fk.columns if c.name != "tenant_id"]
        if len(local) == 1:
            return local[0], parent
    return None


async def table_rows(
    session: AsyncSession, table: Table, tenant_id: uuid.UUID, person_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Every row of ``table`` about the person: by its ``person_id``, or through its parent's."""
    if "person_id" in table.c:
        stmt = select(table).where(table.c.tenant_id == tenant_id, table.c.person_id == person_id)
    else:
        link = parent_link(table)
        if link is None:
            return []
        column, parent = link
        ids = select(parent.c.id).where(
            parent.c.tenant_id == tenant_id, parent.c.person_id == person_id
        )
        stmt = select(table).where(table.c.tenant_id == tenant_id, table.c[column].in_(ids))
    order = [c for c in ("created_at", "id") if c in table.c]
    rows = (await session.execute(stmt.order_by(*(table.c[c] for c in order)))).mappings()
    return [as_row(table, row) for row in rows]


def model_source(model: Any, category: str) -> SubjectAccessSource:
    """A source for one model's rows about the person (what a plugin usually needs)."""
    table: Table = model.__table__

    async def load(
        session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        return await table_rows(session, table, tenant_id, person_id)

    return SubjectAccessSource(name=str(table.name), category=category, load=load)


def core_tables() -> list[Table]:
    """Core's tables about a person: found, not listed, so a new core table is not missed."""
    tables = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if not mapper.class_.__module__.startswith("core.") or table.name in NOT_A_SECTION:
            continue
        if "tenant_id" not in table.c:
            continue
        if "person_id" in table.c or parent_link(table) is not None:
            tables.append(table)
    return sorted(tables, key=lambda t: t.name)


async def produce_export(
    session: AsyncSession, access: Access, pm: Any, person_id: uuid.UUID, reason: str
) -> SubjectAccessExport:
    actor = access.actor
    if not actor.has_role(LEAD_ROLE):
        # Anyone else who may see the person gets a plain refusal; who may not, the 404.
        await access.visible_person(person_id)
        record(
            session,
            actor,
            "deny",
            "subject_access_export",
            person_id=person_id,
            detail={"action": "export", "reason": "only the partnership lead"},
        )
        await session.commit()
        raise PermissionDeniedException(
            detail="Only the partnership lead may make a subject-access export"
        )
    person = await get_person_row(session, actor, person_id)
    tenant_id = actor.tenant_id
    sections: list[ExportSection] = []
    for table in core_tables():
        rows = await table_rows(session, table, tenant_id, person_id)
        category = TABLE_CATEGORIES.get(table.name) or rows_category(rows)
        sections.append(ExportSection(str(table.name), "core", category, rows))
    hook = tenant_hook(pm, "subject_access_sections", actor.enabled_plugins)
    # Asked directly, not through collect(): a plugin that fails must fail the export
    # rather than leave its part out of it unseen.
    for impl in reversed(hook.get_hookimpls()):
        for source in impl.function() or []:
            rows = await source.load(session, tenant_id, person_id)
            sections.append(ExportSection(source.name, impl.plugin_name, source.category, rows))
    categories = sorted({"identity", "custody"} | {s.category for s in sections} - {""})
    record(
        session,
        actor,
        "subject_access_export",
        "person",
        person.id,
        person_id=person.id,
        rule="subject-access: the partnership lead, for the controller",
        detail={
            "reason": reason,
            "categories": categories,
            "sections": {s.name: len(s.rows) for s in sections},
        },
    )
    await session.flush()
    # Read after the export's own event, so the file shows that it was made.
    history = AccessHistoryService(session, access)
    entries = [e async for e in history.everything(person_id, HistoryFilters())]
    partnership = await session.scalar(select(Tenant.name).where(Tenant.id == tenant_id))
    await session.commit()
    return SubjectAccessExport(
        partnership=partnership or actor.tenant_slug,
        person_id=person.id,
        produced_at=utcnow(),
        produced_by=actor.display_name,
        reason=reason,
        person={
            str(c.name): msgspec.to_builtins(getattr(person, c.name))
            for c in Person.__table__.columns
        },
        categories=categories,
        sections=sections,
        access_history=entries,
    )


def rows_category(rows: list[dict[str, Any]]) -> str:
    """Rows that carry their own category (interventions, assessments): all they name."""
    named = sorted({str(r["category"]) for r in rows if r.get("category")})
    return ", ".join(named) if named else "case_notes"
