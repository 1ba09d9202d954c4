"""What the lead's protocol pages share: the permission check, the partnership's names,
publishing (or waiting for a second lead), and the impact shown before publishing."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from litestar import Request
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access
from core.authz.approvals import ApprovalService, widening_sentences
from core.authz.effects import scope_reach
from core.authz.matrix import rules_in
from core.authz.members import Names
from core.authz.services import Impact, ProtocolService
from core.authz.watcher import announce
from core.authz.wording import SCOPE_EXPLAINED, SCOPE_WORDS, action_phrase, diff_sentences

TENANT = "/t/{tenant:str}"
PROTOCOL = f"{TENANT}/protocol"

PUBLISH_MESSAGES = {
    "rules": "Enter the protocol rules",
    "reason": "Enter why you are changing the protocol, in at least 3 characters",
}


async def protocol_service(session: AsyncSession, access: Access) -> ProtocolService:
    # As the API's provider does: the lead's permission is checked before anything is read.
    await access.require_tenant("protocol", "manage")
    return ProtocolService(session, access)


async def names_for(service: ProtocolService) -> Names:
    return await Names.load(service.session, service.actor.tenant_id)


async def publish_and_tell(
    request: Request[Any, Any, Any],
    service: ProtocolService,
    rules: str,
    reason: str,
) -> int:
    """Publish, then tell this and every other process, as the API's publish does."""
    published = await service.publish(rules, reason)
    await tell(request, service.actor.tenant_id, published.version)
    return published.version


async def tell(request: Request[Any, Any, Any], tenant_id: uuid.UUID, version: int) -> None:
    state = request.app.state
    state.policies.invalidate(tenant_id, version)
    await announce(state.settings.redis.url, tenant_id, version)


async def publish_or_wait(
    request: Request[Any, Any, Any], service: ProtocolService, rules: str, reason: str
) -> Redirect:
    """Publish now, or, past the two-person threshold, ask a second lead and say so.

    Raises the service's RuleViolation for a draft that cannot be published at all.
    """
    impact = await service.impact(rules)
    slug = service.actor.tenant_slug
    if impact.needs_second_lead:
        names = await names_for(service)
        waiting = await ApprovalService(service).request(
            rules, reason, widening_sentences(impact, names)
        )
        return Redirect(f"/t/{slug}/protocol/approvals/{waiting.id}?asked=1")
    version = await publish_and_tell(request, service, rules, reason)
    return Redirect(f"/t/{slug}/protocol?published={version}")


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def reach_rows(impact: Impact, names: Names) -> list[dict[str, Any]]:
    """Per changed (category, action), each organisation's people before and after."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in impact.organisations:
        groups[(row.category, row.action)].append(
            {
                "organisation": names.organisations.get(row.organisation_id, ("?", ""))[0],
                "users": row.users,
                "before": row.before,
                "after": row.after,
                "total": row.total,
                "past": row.past_threshold,
            }
        )
    return [
        {"title": _first_upper(action_phrase(c, a).removesuffix(" for")), "rows": rows}
        for (c, a), rows in sorted(groups.items())
    ]


async def scope_table(service: ProtocolService, names: Names) -> list[dict[str, Any]]:
    """Each organisation with members: how many people each scope means for it, today."""
    rows = await scope_reach(service.session, service.actor.tenant_id, names.members)
    out = [
        {
            "organisation": names.organisations.get(r.organisation_id, ("?", ""))[0],
            "members": r.members,
            "assigned": r.assigned,
            "own_organisation": r.own_organisation,
            "partnership": r.partnership,
        }
        for r in rows
    ]
    return sorted(out, key=lambda r: r["organisation"])


SCOPES_HELP = [
    {"scope": scope, "words": SCOPE_WORDS[scope].capitalize(), "explained": SCOPE_EXPLAINED[scope]}
    for scope in SCOPE_WORDS
]


def sentences_between(old: str, new: str, names: Names) -> list[dict[str, str]]:
    """Plain-English changes between two protocol texts."""
    return diff_sentences(names, rules_in(old), rules_in(new))
