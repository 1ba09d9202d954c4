"""The partnership's active members as the protocol sees them, and the names a lead knows.

A protocol line names a role (``r:case_worker``) or an organisation kind (``k:prison``);
a lead thinks of "Sacro case workers" and "SPS HMP Low Moss". :class:`Names` turns the
first into the second from the partnership's own organisations and members, so no page
a lead reads shows the rule's spelling.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.models import Membership, User
from core.authz.enforcer import TenantPolicy, subjects_of
from core.tenancy.models import Organisation

# An organisation kind as its staff would be called in a sentence.
KIND_STAFF = {
    "prison": "prison staff",
    "nhs": "NHS staff",
    "third_sector": "third-sector staff",
    "local_authority": "council staff",
    "probation": "probation staff",
    "police": "police staff",
}


class Member:
    def __init__(
        self, user_id: uuid.UUID, organisation_id: uuid.UUID, kind: str, roles: list[str]
    ) -> None:
        self.user_id = user_id
        self.organisation_id = organisation_id
        self.kind = kind
        self.roles = tuple(roles)

    @property
    def subjects(self) -> frozenset[str]:
        return subjects_of(self.roles, self.kind)


async def active_members(session: AsyncSession, tenant_id: uuid.UUID) -> list[Member]:
    rows = await session.execute(
        select(Membership.user_id, Membership.organisation_id, Organisation.kind, Membership.roles)
        .join(
            Organisation,
            and_(
                Organisation.tenant_id == Membership.tenant_id,
                Organisation.id == Membership.organisation_id,
            ),
        )
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.is_active.is_(True),
            User.is_active.is_(True),
        )
    )
    return [Member(u, o, k, list(r)) for u, o, k, r in rows.all()]


def links(policy: TenantPolicy) -> list[tuple[str, str]]:
    """The protocol's own role links (g rows), not the per-user ones bound at runtime."""
    return [
        (row[0], row[1])
        for row in policy.enforcer.get_named_grouping_policy("g")
        if not row[0].startswith("u:")
    ]


def role_words(role: str) -> str:
    """``case_worker`` -> "case workers", ``nhs_nurse`` -> "NHS nurses"."""
    words = role.replace("_", " ").replace("nhs", "NHS")
    return words if words.endswith("s") else words + "s"


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class Names:
    """The partnership's names for protocol subjects and its organisations."""

    def __init__(
        self,
        organisations: dict[uuid.UUID, tuple[str, str]],
        members: list[Member],
    ) -> None:
        # {organisation id: (name, kind)}
        self.organisations = organisations
        self.members = members
        by_subject: dict[str, set[uuid.UUID]] = defaultdict(set)
        for member in members:
            for subject in member.subjects:
                by_subject[subject].add(member.organisation_id)
        self._orgs_of = by_subject

    @classmethod
    async def load(cls, session: AsyncSession, tenant_id: uuid.UUID) -> Names:
        rows = await session.execute(
            select(Organisation.id, Organisation.name, Organisation.kind).where(
                Organisation.tenant_id == tenant_id
            )
        )
        organisations = {i: (n, k) for i, n, k in rows.all()}
        return cls(organisations, await active_members(session, tenant_id))

    def organisations_of(self, subject: str) -> list[str]:
        """Names of the organisations whose active members a subject reaches."""
        if subject.startswith("k:"):
            kind = subject[2:]
            ids = {i for i, (_, k) in self.organisations.items() if k == kind}
        else:
            ids = self._orgs_of.get(subject, set())
        return sorted(self.organisations[i][0] for i in ids if i in self.organisations)

    def subject(self, subject: str) -> str:
        """A subject as the start of a sentence: "Case workers (Sacro and Turning Point)"."""
        kind, _, name = subject.partition(":")
        words = KIND_STAFF.get(name, name.replace("_", " ") + " staff")
        if kind == "r":
            words = role_words(name)
        orgs = self.organisations_of(subject)
        head = words[:1].upper() + words[1:]
        if kind == "k" and len(orgs) == 1:
            return f"{head} ({orgs[0]})"
        if orgs and len(orgs) <= 3:
            return f"{head} ({join_names(orgs)})"
        if orgs:
            return f"{head} (in {len(orgs)} organisations)"
        return f"{head} (no one at present)"

    def member_group(self, organisation_id: uuid.UUID, subject: str) -> str:
        """ "Sacro case workers", "SPS HMP Low Moss staff": one organisation's share."""
        name = self.organisations.get(organisation_id, ("An organisation", ""))[0]
        kind, _, word = subject.partition(":")
        return f"{name} {role_words(word)}" if kind == "r" else f"{name} staff"
