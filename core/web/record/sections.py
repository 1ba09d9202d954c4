"""The record's sections: which category each is filed under, the one withheld notice, and
the plugin panels (each loaded on its own, so one plugin's failure leaves the page up)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import Request
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.access import Access, category_words
from core.authz.actor import Actor
from core.hooktypes import PersonPanel
from core.plugins import tenant_hook
from core.vocabulary import RECORD_CATEGORIES
from core.web.context import csrf_input

log = logging.getLogger("throughcare")

# The sharing category of each part of the page, as the sharing engine files them.
SECTION_CATEGORIES = {
    "episodes": RECORD_CATEGORIES["episode"],
    "referrals": RECORD_CATEGORIES["referral"],
    "consents": RECORD_CATEGORIES["consent"],
    "plan": RECORD_CATEGORIES["recovery_plan"],
    "outcomes": RECORD_CATEGORIES["outcome_review"],
}

# How each part is named when it is withheld: in the one notice, and on its own section.
SECTION_WORDS = {
    "plan": ("the recovery plan", "The recovery plan is not shared with your organisation."),
    "outcomes": ("outcome reviews", "Outcome reviews are not shared with your organisation."),
    "consents": ("consent records", "Consent records are not shared with your organisation."),
    "referrals": ("referral history", "Referral history is not shared with your organisation."),
}


def join_words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: a list as a sentence reads it."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def withheld_notice(
    shown: dict[str, bool],
    hidden_categories: list[str],
    contact: str | None,
) -> dict[str, Any] | None:
    """One notice for everything this viewer is not shown, and whom to ask.

    A worker missing four sections needs one sentence saying so, not four identical
    panels; the contact is named only when the viewer may already see who it is.
    """
    parts = [words for section, (words, _) in SECTION_WORDS.items() if not shown[section]]
    # A withheld plugin panel is its category's work: named once, with the categories.
    if hidden_categories:
        named = join_words([category_words(c) for c in hidden_categories])
        parts.append(f"work filed under {named}")
    if not parts:
        return None
    return {"summary": join_words(parts), "contact": contact}


async def plugin_panels(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    access: Access,
    person_id: uuid.UUID,
    readable: set[str],
) -> list[dict[str, Any]]:
    hook = tenant_hook(
        request.app.state.plugin_manager, "register_person_panels", actor.enabled_plugins
    )
    panels: list[PersonPanel] = sorted(
        (p for answer in hook() for p in answer), key=lambda p: (p.order, p.title)
    )
    out: list[dict[str, Any]] = []
    for panel in panels:
        entry: dict[str, Any] = {"panel": panel, "withheld": panel.category not in readable}
        if not entry["withheld"]:
            try:
                context = await panel.load(session, access, person_id)
                template = request.app.template_engine.get_template(panel.template)
                # Autoescaped by the environment, so the rendered panel is already safe HTML.
                entry["html"] = Markup(  # noqa: S704
                    template.render(
                        **context,
                        actor=actor,
                        person_id=person_id,
                        request=request,
                        csrf_input=csrf_input(request),
                    )
                )
            except Exception:
                # One plugin's failure must not take the record page down with it.
                log.exception("person panel %s failed to load", panel.name)
                entry["failed"] = True
        out.append(entry)
    return out
