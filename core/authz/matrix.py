"""The protocol as a matrix a lead can edit: one setting per who, category and action.

A (subject, category, action) may have several policy lines; what they decide together
is the widest scope without consent and the widest scope with consent (any narrower
line is covered by a wider one, see ``core.authz.enforcer.allows``). A :class:`Setting`
holds those two, so every protocol reads into the matrix and writes back without
losing a decision. Lines the matrix does not show (role links, unusual actions) are
kept as they are: the matrix edits only the keys it changes.
"""

from __future__ import annotations

import msgspec

from core.authz.enforcer import SCOPE_RANK
from core.authz.protocol import DECISION_CATEGORIES, SCOPES, Rule, policy_lines

Key = tuple[str, str, str]  # (subject, category, action)

# Which actions the matrix offers for a category; person categories get read and write.
TENANT_ACTIONS = {"protocol": ("manage",), "reports": ("read", "export")}
DECISION_ACTIONS = ("write",)
PERSON_ACTIONS = ("read", "write")
CHANGED_HEADING = "# ---- Changed in the matrix editor ----"


class Setting(msgspec.Struct, frozen=True):
    """The widest scope without consent, and the wider scope allowed with consent."""

    plain: str | None = None
    with_consent: str | None = None

    @property
    def value(self) -> str:
        return f"{self.plain or '-'}/{self.with_consent or '-'}"

    @property
    def is_none(self) -> bool:
        return self.plain is None and self.with_consent is None

    @classmethod
    def parse(cls, value: str) -> Setting | None:
        plain, sep, consent = value.partition("/")
        if not sep:
            return None
        a = None if plain == "-" else plain
        b = None if consent == "-" else consent
        if (a is not None and a not in SCOPES) or (b is not None and b not in SCOPES):
            return None
        if a is not None and b is not None and SCOPE_RANK[b] <= SCOPE_RANK[a]:
            return None  # consent adds nothing inside what is shared anyway
        return cls(a, b)


def actions_for(category: str) -> tuple[str, ...]:
    if category in TENANT_ACTIONS:
        return TENANT_ACTIONS[category]
    if category in DECISION_CATEGORIES:
        return DECISION_ACTIONS
    return PERSON_ACTIONS


def options_for(category: str) -> list[Setting]:
    """The settings a select offers, narrowest first; yes/no for partnership permissions."""
    if category in TENANT_ACTIONS:
        return [Setting(), Setting("partnership")]
    out = [Setting()]
    for plain in (None, *SCOPES):
        wider = [s for s in SCOPES if plain is None or SCOPE_RANK[s] > SCOPE_RANK[plain]]
        if plain is not None:
            out.append(Setting(plain))
        out.extend(Setting(plain, scope) for scope in wider)
    return out


def settings(rules: list[Rule]) -> dict[Key, Setting]:
    """Collapse a protocol's rules into one setting per (subject, category, action)."""
    widest: dict[tuple[Key, bool], str] = {}
    for rule in rules:
        slot = ((rule.subject, rule.category, rule.action), rule.consent == "consent")
        if slot not in widest or SCOPE_RANK[rule.scope] > SCOPE_RANK[widest[slot]]:
            widest[slot] = rule.scope
    out: dict[Key, Setting] = {}
    for key in {k for k, _ in widest}:
        plain = widest.get((key, False))
        consent = widest.get((key, True))
        if plain is not None and consent is not None and SCOPE_RANK[consent] <= SCOPE_RANK[plain]:
            consent = None
        out[key] = Setting(plain, consent)
    return out


def rules_for(key: Key, setting: Setting) -> list[Rule]:
    subject, category, action = key
    out = []
    if setting.plain:
        out.append(Rule(subject, category, action, setting.plain, "no_consent"))
    if setting.with_consent:
        out.append(Rule(subject, category, action, setting.with_consent, "consent"))
    return out


def _key_of(line: str, domain: str) -> Key | None:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) == 7 and fields[0] == "p" and fields[2] == domain:
        return (fields[1], fields[3], fields[4])
    return None


def apply(text: str, domain: str, changes: dict[Key, Setting]) -> str:
    """``text`` with each changed key's lines replaced, where they were; the rest as it was.

    A key that had no line gets its new lines under one heading at the end, so the
    raw view stays readable for the expert who opens it next.
    """
    current = changes
    placed: set[Key] = set()
    out: list[str] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        key = None if not stripped or stripped.startswith("#") else _key_of(stripped, domain)
        if key is None or key not in current:
            out.append(raw)
            continue
        if key not in placed:
            out.extend(r.line(domain) for r in rules_for(key, current[key]))
            placed.add(key)
    extra = [
        r.line(domain)
        for key in sorted(set(current) - placed)
        for r in rules_for(key, current[key])
    ]
    if extra:
        if CHANGED_HEADING not in out:
            out += ["", CHANGED_HEADING]
        out += extra
    return "\n".join(out).rstrip("\n") + "\n"


def changed(before: dict[Key, Setting], after: dict[Key, Setting]) -> list[Key]:
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k, Setting()) != after.get(k, Setting()))


def same_lines(a: str, b: str) -> bool:
    return sorted(policy_lines(a)) == sorted(policy_lines(b))


def rules_in(text: str) -> list[Rule]:
    """Every well-formed rule line, unchecked: for describing versions already published
    (an old version may name a category a plugin no longer contributes)."""
    out = []
    for line in policy_lines(text):
        fields = [f.strip() for f in line.split(",")]
        if len(fields) == 7 and fields[0] == "p" and fields[5] in SCOPES:
            out.append(Rule(fields[1], fields[3], fields[4], fields[5], fields[6]))
    return out
