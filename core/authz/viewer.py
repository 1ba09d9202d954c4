"""Who is looking, as SQL: the acting user's facts and the index probes over their relations.

A :class:`Viewer` answers "is this person assigned to me, linked to my organisation,
consented to share with me, or under a break-glass grant of mine?" as correlated EXISTS
probes, each over an index that starts with ``tenant_id``, and names the same relations as
row sources in name order for the caseload (``core.authz.caseload_sql``). The predicates
built from grants are in ``core.authz.sql``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, literal, or_, select, true

from core.authz.enforcer import Grant, scope_covers
from core.authz.models import BreakGlassGrant, PersonAssignment, PersonOrganisation
from core.consents.models import Consent
from core.persons.models import Person

# A grant reduced to what the SQL needs: (scope, needs consent).
Terms = tuple[tuple[str, bool], ...]


def probe(query: Select[Any]) -> ColumnElement[bool]:
    """EXISTS as a per-row index probe.

    PostgreSQL turns a correlated EXISTS into a hashed subplan that reads every row the
    relation has (every person an organisation works with) on each request. ``OFFSET 0``
    is its planner's fence against that: the subquery stays a probe of an index that
    starts with ``tenant_id``, run for the page-sized set of candidate rows, so a
    caseload page costs the same however large the caseload is. SQLite probes anyway.
    """
    return exists(query.offset(0))


class Viewer:
    """The facts about the acting user that the SQL needs."""

    def __init__(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        organisation_id: uuid.UUID,
        organisation_kind: str,
        now: datetime,
        break_glass: bool = True,
    ) -> None:
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.organisation_id = organisation_id
        self.organisation_kind = organisation_kind
        self.now = now
        # False when the user holds no grant in force: lists then leave the probe out.
        self.break_glass = break_glass

    @property
    def key(self) -> tuple[Any, ...]:
        """Everything but ``now``: the same viewer builds the same time-free SQL."""
        return (
            self.tenant_id,
            self.user_id,
            self.organisation_id,
            self.organisation_kind,
            self.break_glass,
        )

    def assigned(self, person_id: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
        return probe(
            select(literal(1)).where(
                PersonAssignment.tenant_id == self.tenant_id,
                PersonAssignment.user_id == self.user_id,
                PersonAssignment.person_id == person_id,
            )
        )

    def own_organisation(self, person_id: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
        linked = probe(
            select(literal(1)).where(
                PersonOrganisation.tenant_id == self.tenant_id,
                PersonOrganisation.organisation_id == self.organisation_id,
                PersonOrganisation.person_id == person_id,
            )
        )
        # Assigned is the closer relation, so it counts as working with the person too.
        return or_(linked, self.assigned(person_id))

    def consent_in_force(self, person_id: Any) -> list[ColumnElement[bool]]:
        """A consent row that shares with this viewer now (given, not withdrawn or expired)."""
        return [
            Consent.person_id == person_id,
            or_(
                Consent.recipient_organisation_id == self.organisation_id,
                Consent.recipient_kind == self.organisation_kind,
            ),
            *self.consent_current(),
        ]

    def consent_current(self) -> list[ColumnElement[bool]]:
        """A consent row of this tenant that has been given and has not ended."""
        return [
            Consent.tenant_id == self.tenant_id,
            Consent.given_at <= self.now,
            Consent.withdrawn_at.is_(None),
            or_(Consent.expires_at.is_(None), Consent.expires_at > self.now),
        ]

    def consented(
        self, person_id: ColumnElement[uuid.UUID], category: ColumnElement[str] | str
    ) -> ColumnElement[bool]:
        return probe(
            select(literal(1)).where(
                Consent.category == category, *self.consent_in_force(person_id)
            )
        )

    def glass_in_force(self, person_id: Any) -> list[ColumnElement[bool]]:
        """A break-glass grant of this viewer's for the person that has not run out."""
        return [
            BreakGlassGrant.tenant_id == self.tenant_id,
            BreakGlassGrant.user_id == self.user_id,
            BreakGlassGrant.person_id == person_id,
            BreakGlassGrant.expires_at > self.now,
            BreakGlassGrant.ended_at.is_(None),
        ]

    def broken_glass(
        self, person_id: ColumnElement[uuid.UUID], category: ColumnElement[str] | str
    ) -> ColumnElement[bool]:
        return probe(
            select(literal(1)).where(
                BreakGlassGrant.category == category, *self.glass_in_force(person_id)
            )
        )

    def scope(self, scope: str, person_id: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
        if scope == "partnership":
            return true()
        if scope == "own_organisation":
            return self.own_organisation(person_id)
        return self.assigned(person_id)

    # ---- caseload sources: (sort_name, person_id) rows in name order -----------------

    def linked_rows(self) -> Select[Any]:
        return select(PersonOrganisation.sort_name, PersonOrganisation.person_id).where(
            PersonOrganisation.tenant_id == self.tenant_id,
            PersonOrganisation.organisation_id == self.organisation_id,
        )

    def assigned_rows(self) -> Select[Any]:
        return select(PersonAssignment.sort_name, PersonAssignment.person_id).where(
            PersonAssignment.tenant_id == self.tenant_id,
            PersonAssignment.user_id == self.user_id,
        )

    def consent_rows(self, category: str) -> list[Select[Any]]:
        """Consents shared with this organisation, and with its kind: one index range each."""
        rows = select(Consent.sort_name, Consent.person_id).where(
            Consent.category == category, *self.consent_current()
        )
        return [
            rows.where(Consent.recipient_organisation_id == self.organisation_id),
            rows.where(Consent.recipient_kind == self.organisation_kind),
        ]

    def glass_rows(self, category: str) -> Select[Any]:
        # Few rows (the user's own grants in force), so the person's name is joined, not kept.
        return (
            select(Person.sort_name, Person.id.label("person_id"))
            .join(
                BreakGlassGrant,
                and_(
                    BreakGlassGrant.tenant_id == Person.tenant_id,
                    BreakGlassGrant.person_id == Person.id,
                ),
            )
            .where(BreakGlassGrant.category == category, *self.glass_in_force(Person.id))
        )


def simplest(grants: Iterable[Grant]) -> list[tuple[str, bool]]:
    """Drop grants another grant already covers (same or wider scope, no more consent)."""
    pairs = sorted({(g.scope, g.consent) for g in grants})
    kept = []
    for scope, consent in pairs:
        covered = any(
            (s, c) != (scope, consent) and scope_covers(s, scope) and (not c or consent)
            for s, c in pairs
        )
        if not covered:
            kept.append((scope, consent))
    return kept


class Timeless:
    """A viewer as a cache key: equal when everything but ``now`` is."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    def __hash__(self) -> int:
        return hash(self.viewer.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeless) and other.viewer.key == self.viewer.key
