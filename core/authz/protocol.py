"""A partnership's protocol as data: templates, validation, versions and diffs.

The protocol is a list of Casbin policy lines. Templates live in
``policies/protocols/<name>.csv``; plugins add lines for their own categories; the
live protocol is stored in ``protocol_versions`` and every change is a new version.
"""

from __future__ import annotations

import difflib
import re
import uuid
from pathlib import Path

import msgspec
import pluggy
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.models import ProtocolVersion
from core.plugins import tenant_hook
from core.tenancy.models import OrganisationKind, Tenant

# ``export`` is only ``reports, export``: the person-level national returns (core/returns).
ACTIONS = ("read", "write", "manage", "export")
SCOPES = ("assigned", "own_organisation", "partnership")
CONSENT = ("consent", "no_consent")
# Permissions about the partnership rather than about a person.
TENANT_CATEGORIES = ("protocol", "reports")
# Decisions about a person rather than parts of their record: ``allocation, write`` lets a
# member make the relations the scopes follow (an episode's lead organisation, a key
# worker, a mentor match, an accepted referral, a plan handover); ``self_allocation,
# write`` is needed on top to allocate oneself. Never granted by writing a record.
DECISION_CATEGORIES = ("allocation", "self_allocation")
# Roles that a line for an organisation kind (k:<kind>) never reaches: an analyst sees
# anonymised reports whatever organisation employs them; a platform admin is no
# practitioner. Their access comes only from lines that name the role itself.
KIND_RESTRICTED_ROLES = frozenset({"analyst", "platform_admin"})
_SUBJECT = re.compile(r"^(r:[a-z_]{2,40}|k:[a-z_]{2,40})$")


class Rule(msgspec.Struct, frozen=True, order=True):
    subject: str
    category: str
    action: str
    scope: str
    consent: str

    def line(self, domain: str) -> str:
        return (
            f"p, {self.subject}, {domain}, {self.category}, {self.action}, "
            f"{self.scope}, {self.consent}"
        )


class ProtocolError(ValueError):
    """The protocol text is refused; ``problems`` names each bad line and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Vocabulary(msgspec.Struct, frozen=True):
    """What a tenant's protocol may name."""

    domain: str
    roles: frozenset[str]
    categories: frozenset[str]

    @property
    def subjects(self) -> frozenset[str]:
        kinds = {f"k:{k.value}" for k in OrganisationKind}
        return frozenset({f"r:{r}" for r in self.roles} | kinds)


def parse(text: str, vocabulary: Vocabulary) -> tuple[list[Rule], list[tuple[str, str]]]:
    """Check every line; return the rules and the role links (g rows), or raise."""
    rules: list[Rule] = []
    links: list[tuple[str, str]] = []
    problems: list[str] = []
    categories = vocabulary.categories | set(TENANT_CATEGORIES) | set(DECISION_CATEGORIES)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        where = f"line {number}"
        if fields[0] == "g" and len(fields) == 4:
            _, child, parent, domain = fields
            bad = [s for s in (child, parent) if s not in vocabulary.subjects]
            if bad:
                problems.append(f"{where}: unknown subject {bad[0]!r}")
            if domain != vocabulary.domain:
                problems.append(f"{where}: partnership must be {vocabulary.domain!r}")
            links.append((child, parent))
            continue
        if fields[0] != "p" or len(fields) != 7:
            problems.append(
                f"{where}: expected 'p, subject, partnership, category, action, scope, consent'"
            )
            continue
        _, subject, domain, category, action, scope, consent = fields
        checks = [
            (
                _SUBJECT.match(subject) is not None and subject in vocabulary.subjects,
                f"unknown subject {subject!r} (a role r:<name> or a kind k:<kind>)",
            ),
            (domain == vocabulary.domain, f"partnership must be {vocabulary.domain!r}"),
            (category in categories, f"unknown category {category!r}"),
            (action in ACTIONS, f"unknown action {action!r} (read, write, manage or export)"),
            (scope in SCOPES, f"unknown scope {scope!r} ({', '.join(SCOPES)})"),
            (consent in CONSENT, f"unknown consent condition {consent!r} (consent or no_consent)"),
        ]
        bad = [message for ok, message in checks if not ok]
        if bad:
            problems.extend(f"{where}: {message}" for message in bad)
            continue
        rules.append(Rule(subject, category, action, scope, consent))
    if problems:
        raise ProtocolError(problems)
    return rules, links


def kind_warnings(rules: list[Rule], members: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Warn where a k:<kind> line would reach a member holding only restricted roles.

    ``members`` are (organisation kind, roles). Such a line does not reach them (see
    ``subjects_of``), but a lead who wrote it may believe it does, or may not know the
    kind's organisations employ an analyst: say so rather than stay silent.
    """
    restricted_by_kind: dict[str, set[str]] = {}
    for kind, roles in members:
        if roles and all(role in KIND_RESTRICTED_ROLES for role in roles):
            restricted_by_kind.setdefault(kind, set()).update(roles)
    warnings = []
    for rule in sorted(set(rules)):
        kind = rule.subject.removeprefix("k:")
        if rule.subject.startswith("k:") and kind in restricted_by_kind:
            roles = ", ".join(sorted(restricted_by_kind[kind]))
            warnings.append(
                f"'{rule.subject}, {rule.category}, {rule.action}' does not reach members "
                f"of {kind} organisations whose only roles are restricted ({roles}): "
                "name the role if they are meant to have it."
            )
    return warnings


def policy_lines(text: str) -> list[str]:
    """The policy lines of a protocol text, comments and blanks dropped, normalised."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(", ".join(f.strip() for f in line.split(",")))
    return lines


def plugin_lines(path: Path, tenant_slug: str) -> list[str]:
    """A plugin's protocol lines from its CSV file, ``{tenant}`` replaced by the slug.

    The file keeps ``#`` comments that say why each line is there; they are dropped here.
    """
    text = path.read_text(encoding="utf-8")
    return [
        line.strip().replace("{tenant}", tenant_slug)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def diff(old: str, new: str, old_label: str, new_label: str) -> list[str]:
    """A unified diff of the policy lines (sorted, so reordering is no change)."""
    return list(
        difflib.unified_diff(
            sorted(policy_lines(old)),
            sorted(policy_lines(new)),
            fromfile=old_label,
            tofile=new_label,
            lineterm="",
            n=0,
        )
    )


def template_text(policies_dir: Path, name: str, domain: str) -> str:
    """A template, re-homed to ``domain`` when a tenant uses another partnership's template."""
    text = (policies_dir / "protocols" / f"{name}.csv").read_text(encoding="utf-8")
    if name == domain:
        return text
    out = []
    for raw in text.splitlines():
        fields = [f.strip() for f in raw.split(",")]
        if fields[0] == "p" and len(fields) == 7 and fields[2] == name:
            fields[2] = domain
            raw = ", ".join(fields)
        elif fields[0] == "g" and len(fields) == 4 and fields[3] == name:
            fields[3] = domain
            raw = ", ".join(fields)
        out.append(raw)
    return "\n".join(out) + "\n"


def seed_text(policies_dir: Path, pm: pluggy.PluginManager, tenant: Tenant) -> str:
    """The first protocol of a tenant: its template plus its enabled plugins' lines."""
    name = str(tenant.config.get("protocol") or tenant.slug)
    text = template_text(policies_dir, name, tenant.slug)
    extra = [
        line
        for answer in tenant_hook(pm, "register_protocol_lines", tenant.plugins)(
            tenant_slug=tenant.slug
        )
        for line in answer
    ]
    if extra:
        text += "\n# ---- Lines contributed by the partnership's plugins ----\n"
        text += "\n".join(extra) + "\n"
    return text


async def live_version(session: AsyncSession, tenant_id: uuid.UUID) -> ProtocolVersion | None:
    return await session.scalar(
        select(ProtocolVersion)
        .where(ProtocolVersion.tenant_id == tenant_id)
        .order_by(ProtocolVersion.version.desc())
        .limit(1)
    )


async def store_version(
    session: AsyncSession,
    tenant: Tenant,
    text: str,
    *,
    reason: str,
    user_id: uuid.UUID | None,
) -> ProtocolVersion:
    """Add the next version and make it live, in the caller's transaction.

    The tenant row's ``policy_version`` moves in the same statement set, so every
    process sees the new version on its next request.
    """
    current = await live_version(session, tenant.id)
    number = (current.version if current else 0) + 1
    row = ProtocolVersion(
        tenant_id=tenant.id, version=number, rules=text, reason=reason, created_by=user_id
    )
    session.add(row)
    await session.flush()
    await session.execute(
        update(Tenant).where(Tenant.id == tenant.id).values(policy_version=number)
    )
    return row
