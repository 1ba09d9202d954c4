"""Core's sharing categories and intervention kinds, contributed through the plugin hooks."""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from core.hookspecs import hookimpl

# housing and family belong to the housing and family_support plugins: a partnership that
# switches one off has no such category, in its protocol or anywhere else.
CORE_CATEGORIES: tuple[str, ...] = (
    "identity",
    "custody",
    "risk",
    "health",
    "substance_use",
    "justice",
    "employability",
    "peer_support",
    "case_notes",
)

CORE_INTERVENTION_KINDS: dict[str, str] = {
    "one_to_one": "case_notes",
    "group_work": "substance_use",
    "motivational_interview": "substance_use",
    "structured_advice": "substance_use",
    "detox_support": "health",
    "prescribing_review": "health",
    "psychosocial": "substance_use",
    "mutual_aid_link": "peer_support",
    "liaison_other_agency": "case_notes",
    "outreach": "case_notes",
    "employability_support": "employability",
    "pre_liberation_support": "case_notes",
    "recovery_plan_support": "substance_use",
}


@hookimpl
def register_sharing_categories() -> list[str]:
    return list(CORE_CATEGORIES)


@hookimpl
def register_intervention_kinds() -> dict[str, str]:
    return dict(CORE_INTERVENTION_KINDS)


def sharing_categories(pm: pluggy.PluginManager) -> list[str]:
    seen: dict[str, None] = {}
    for answer in pm.hook.register_sharing_categories():
        seen.update(dict.fromkeys(answer))
    return list(seen)


def intervention_kinds(pm: pluggy.PluginManager) -> dict[str, str]:
    kinds: dict[str, str] = {}
    categories = set(sharing_categories(pm))
    for answer in pm.hook.register_intervention_kinds():
        for kind, category in answer.items():
            if kind in kinds:
                raise RuntimeError(f"intervention kind {kind!r} is registered twice")
            if category not in categories:
                raise RuntimeError(
                    f"intervention kind {kind!r} names unknown category {category!r}"
                )
            kinds[kind] = category
    return kinds


def tenant_categories(pm: pluggy.PluginManager, enabled_plugins: Iterable[str]) -> list[str]:
    """The categories of one tenant: core's plus those of the plugins it has switched on."""
    from core.plugins import tenant_hook

    seen: dict[str, None] = {}
    for answer in tenant_hook(pm, "register_sharing_categories", enabled_plugins)():
        seen.update(dict.fromkeys(answer))
    return list(seen)


# The sharing category of each kind of core record; interventions and assessments
# carry their own category on the row (from the intervention kind or assessment kind).
RECORD_CATEGORIES: dict[str, str] = {
    "person.identity": "identity",  # name, date of birth, prison and NHS/CHI numbers
    "person.custody": "custody",  # where they are, establishment, reception, liberation
    "referral": "case_notes",
    "episode": "case_notes",
    "consent": "case_notes",
    "recovery_plan": "substance_use",
    "outcome_review": "case_notes",
    "meeting_item": "case_notes",
}
