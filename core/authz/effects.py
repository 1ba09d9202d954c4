"""What a draft protocol would change, counted from the data, never guessed.

For every active member and every (category, action) whose grants the draft changes,
the people they could reach before and after are read with the same SQL the lists use
(``person_predicate``). From those sets come the preview's lines ("lets 14 users in 2
organisations read Health for 173 people"), the reach per organisation ("SPS HMP Low
Moss: 412 of 600 people"), and whether the two-person rule applies.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.enforcer import Grants, TenantPolicy
from core.authz.members import Member, active_members
from core.authz.models import PersonAssignment, PersonOrganisation
from core.authz.protocol import ACTIONS
from core.authz.schemas import EffectLine
from core.authz.sql import Viewer, person_predicate
from core.persons.models import Person

# Above this share of the partnership's people, a widening waits for a second lead.
DEFAULT_THRESHOLD = 0.5


class OrganisationReach(msgspec.Struct, frozen=True):
    """One organisation's reach over one (category, action), before and after a draft."""

    category: str
    action: str
    organisation_id: uuid.UUID
    users: int
    before: int
    after: int
    total: int
    past_threshold: bool  # widened to more than the threshold's share of everyone


class ScopeReach(msgspec.Struct, frozen=True):
    """How many people each scope means for one organisation's members, today."""

    organisation_id: uuid.UUID
    members: int
    assigned: int
    own_organisation: int
    partnership: int


class Counted(msgspec.Struct):
    effects: list[EffectLine]
    organisations: list[OrganisationReach]


async def total_people(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Person).where(Person.tenant_id == tenant_id)
        )
        or 0
    )


async def _allowed(
    session: AsyncSession, viewer: Viewer, grants: Grants, category: str, action: str
) -> set[uuid.UUID]:
    predicate = person_predicate(viewer, grants, category, action, Person.id)
    rows = await session.scalars(
        select(Person.id).where(Person.tenant_id == viewer.tenant_id, predicate)
    )
    return set(rows.all())


async def count(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    categories: tuple[str, ...],
    now: datetime,
    old: TenantPolicy,
    new: TenantPolicy,
    threshold: float = DEFAULT_THRESHOLD,
) -> Counted:
    members = await active_members(session, tenant_id)
    total = await total_people(session, tenant_id)
    # {(category, action): {organisation: [users, before ids, after ids]}}
    reach: dict[tuple[str, str], dict[uuid.UUID, list[set[uuid.UUID]]]] = defaultdict(dict)
    gained: dict[tuple[str, str], list[set[uuid.UUID]]] = defaultdict(lambda: [set(), set(), set()])
    lost: dict[tuple[str, str], list[set[uuid.UUID]]] = defaultdict(lambda: [set(), set(), set()])
    for member in members:
        before = old.grants_for(member.user_id, member.subjects)
        after = new.grants_for(member.user_id, member.subjects)
        viewer = Viewer(tenant_id, member.user_id, member.organisation_id, member.kind, now)
        for category in categories:
            for action in ACTIONS:
                # As sets: equal grants may come back in either order.
                if set(before.get(category, action)) == set(after.get(category, action)):
                    continue
                was = await _allowed(session, viewer, before, category, action)
                will = await _allowed(session, viewer, after, category, action)
                key = (category, action)
                entry = reach[key].setdefault(member.organisation_id, [set(), set(), set()])
                entry[0].add(member.user_id)
                entry[1] |= was
                entry[2] |= will
                for bucket, ids in ((gained, will - was), (lost, was - will)):
                    if ids:
                        users, orgs, persons = bucket[key]
                        users.add(member.user_id)
                        orgs.add(member.organisation_id)
                        persons |= ids
    effects = []
    for key in sorted(set(gained) | set(lost)):
        g, lo = gained.get(key), lost.get(key)
        effects.append(
            _summarised(
                EffectLine(
                    category=key[0],
                    action=key[1],
                    users_gaining=len(g[0]) if g else 0,
                    organisations_gaining=len(g[1]) if g else 0,
                    persons_gained=len(g[2]) if g else 0,
                    users_losing=len(lo[0]) if lo else 0,
                    organisations_losing=len(lo[1]) if lo else 0,
                    persons_lost=len(lo[2]) if lo else 0,
                    summary="",
                )
            )
        )
    organisations = [
        OrganisationReach(
            category=key[0],
            action=key[1],
            organisation_id=org,
            users=len(users),
            before=len(was),
            after=len(will),
            total=total,
            past_threshold=len(will) > len(was) and len(will) > threshold * total,
        )
        for key in sorted(reach)
        for org, (users, was, will) in sorted(reach[key].items(), key=lambda kv: str(kv[0]))
    ]
    return Counted(effects=effects, organisations=organisations)


async def scope_reach(
    session: AsyncSession, tenant_id: uuid.UUID, members: list[Member]
) -> list[ScopeReach]:
    """For each organisation with members: the people each scope reaches, counted."""
    total = await total_people(session, tenant_id)
    users: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for member in members:
        users[member.organisation_id].add(member.user_id)
    own = dict(
        (
            await session.execute(
                select(PersonOrganisation.organisation_id, func.count())
                .where(PersonOrganisation.tenant_id == tenant_id)
                .group_by(PersonOrganisation.organisation_id)
            )
        ).all()
    )
    out = []
    for organisation_id, ids in users.items():
        assigned = await session.scalar(
            select(func.count(func.distinct(PersonAssignment.person_id))).where(
                PersonAssignment.tenant_id == tenant_id, PersonAssignment.user_id.in_(ids)
            )
        )
        out.append(
            ScopeReach(
                organisation_id=organisation_id,
                members=len(ids),
                assigned=int(assigned or 0),
                own_organisation=int(own.get(organisation_id, 0)),
                partnership=total,
            )
        )
    return out


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _summarised(line: EffectLine) -> EffectLine:
    parts = []
    label = line.category.replace("_", " ").capitalize()
    if line.users_gaining:
        parts.append(
            f"lets {_plural(line.users_gaining, 'user', 'users')} in "
            f"{_plural(line.organisations_gaining, 'organisation', 'organisations')} "
            f"{line.action} {label} for {_plural(line.persons_gained, 'person', 'people')}"
        )
    if line.users_losing:
        parts.append(
            f"stops {_plural(line.users_losing, 'user', 'users')} in "
            f"{_plural(line.organisations_losing, 'organisation', 'organisations')} from "
            f"{line.action}ing {label} for {_plural(line.persons_lost, 'person', 'people')}"
        )
    summary = "This change " + " and ".join(parts) if parts else "No one's access changes."
    return msgspec.structs.replace(line, summary=summary)
