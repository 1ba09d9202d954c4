"""The protocol in plain English: settings, changes and scopes as sentences a lead reads.

Nothing here quotes rule syntax: the expert's raw view is the only page that does.
"""

from __future__ import annotations

from core.authz.matrix import Key, Setting, settings
from core.authz.members import Names
from core.authz.protocol import Rule

SCOPE_WORDS = {
    "assigned": "people they are assigned to",
    "own_organisation": "people their organisation works with",
    "partnership": "everyone in the partnership",
}
# What each scope means, for the lead deciding between them.
SCOPE_EXPLAINED = {
    "assigned": "Only the people a member is key worker for or has been allocated to.",
    "own_organisation": (
        "Everyone the member's organisation works with: an episode it leads, a referral it "
        "accepted, a plan handed to it. For a prison this can be everyone inside."
    ),
    "partnership": "Every person in the partnership, whoever works with them.",
}
CATEGORY_WORDS = {"case_notes": "Case notes", "substance_use": "Substance use"}
LABELS = {"added": "Now shared", "removed": "No longer shared", "changed": "Changed"}
TENANT_PHRASES = {
    ("protocol", "manage"): "manage the sharing protocol",
    ("reports", "read"): "see the partnership's reports",
    ("reports", "export"): "make the national returns (one pseudonymised row per treatment)",
}


def category_label(category: str) -> str:
    return CATEGORY_WORDS.get(category, category.replace("_", " ").capitalize())


def action_phrase(category: str, action: str) -> str:
    if (category, action) in TENANT_PHRASES:
        return TENANT_PHRASES[(category, action)]
    if category == "allocation":
        return "decide who works with"
    if category == "self_allocation":
        return "allocate themselves to"
    verb = {"read": "read", "write": "record", "manage": "manage"}.get(action, action)
    return f"{verb} {category_label(category)} for"


def setting_words(category: str, setting: Setting) -> str:
    """What a setting allows, without its subject: "people they are assigned to, with consent"."""
    if setting.is_none:
        return "No"
    if category in ("protocol", "reports"):
        return "Yes"
    if setting.plain and setting.with_consent:
        return (
            f"{SCOPE_WORDS[setting.plain].capitalize()}; "
            f"with consent, {SCOPE_WORDS[setting.with_consent]}"
        )
    scope = setting.plain or setting.with_consent or ""
    words = SCOPE_WORDS[scope].capitalize()
    return words + (", with consent" if setting.with_consent else "")


def _scope_text(category: str, setting: Setting) -> str:
    words = setting_words(category, setting)
    return words[:1].lower() + words[1:]


def _what(key: Key, setting: Setting) -> str:
    _, category, action = key
    phrase = action_phrase(category, action)
    if (category, action) in TENANT_PHRASES:
        return phrase
    return f"{phrase} {_scope_text(category, setting)}"


def change_sentence(names: Names, key: Key, before: Setting, after: Setting) -> str:
    """ "Case workers (Sacro) can now read Health for people they are assigned to, with consent"."""
    who = names.subject(key[0])
    if before.is_none:
        return f"{who} can now {_what(key, after)}."
    if after.is_none:
        return f"{who} can no longer {_what(key, before)}."
    return f"{who} can now {_what(key, after)}, instead of {_scope_text(key[1], before)}."


def diff_sentences(names: Names, old: list[Rule], new: list[Rule]) -> list[dict[str, str]]:
    """One sentence per changed (who, category, action), with whether it widens or narrows."""
    a, b = settings(old), settings(new)
    rows = []
    for key in sorted(set(a) | set(b)):
        before, after = a.get(key, Setting()), b.get(key, Setting())
        if before == after:
            continue
        kind = "removed" if after.is_none else "added" if before.is_none else "changed"
        rows.append(
            {
                "kind": kind,
                "label": {"added": "Now shared", "removed": "No longer", "changed": "Changed"}[
                    kind
                ],
                "text": change_sentence(names, key, before, after),
            }
        )
    return rows


def rule_words(names: Names, rule: str | None) -> str | None:
    """A granting rule (``subject, category, action, scope, consent``) as a sentence."""
    if not rule or rule == "break-glass":
        return "An active break-glass grant" if rule else None
    parts = [p.strip() for p in rule.split(",")]
    if len(parts) != 5:
        return None
    subject, category, action, scope, consent = parts
    setting = Setting(scope) if consent == "no_consent" else Setting(None, scope)
    return f"{names.subject(subject)} can {_what((subject, category, action), setting)}."
