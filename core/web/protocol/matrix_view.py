"""The matrix as a page shows it, read-only or as the editor's form: one table per
category, a row per role or organisation kind, a cell per action, all in the
partnership's own words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.authz.matrix import Key, Setting, actions_for, options_for
from core.authz.members import Names
from core.authz.wording import category_label, setting_words
from core.tenancy.models import Tenant

ACTION_HEADERS = {
    "read": "Can read",
    "write": "Can record",
    "manage": "Can manage",
    "export": "Can make the national returns",
}


def field_name(key: Key) -> str:
    return "|".join(key)


def field_id(key: Key) -> str:
    return "m-" + "-".join(part.replace(":", "-").replace("_", "-") for part in key)


def subjects(tenant: Tenant, names: Names, current: Mapping[Key, Setting]) -> list[str]:
    """Every role of the partnership, every kind of organisation in it, and any subject
    the protocol already names: roles first, in the tenant file's order."""
    kinds = sorted({kind for _, kind in names.organisations.values()})
    out = [f"r:{role}" for role in tenant.roles] + [f"k:{kind}" for kind in kinds]
    out += sorted({key[0] for key in current} - set(out))
    return out


def users_reached(names: Names, subject: str) -> int:
    return sum(1 for m in names.members if subject in m.subjects)


def tables(
    categories: list[str],
    subject_list: list[str],
    names: Names,
    shown: Mapping[Key, Setting],
    *,
    editing: bool,
) -> list[dict[str, Any]]:
    """The matrix's tables; read-only rows leave out whoever has nothing in a category."""
    out = []
    for category in categories:
        actions = actions_for(category)
        rows = []
        for subject in subject_list:
            cells = []
            for action in actions:
                key = (subject, category, action)
                setting = shown.get(key, Setting())
                cells.append(
                    {
                        "name": field_name(key),
                        "id": field_id(key),
                        "value": setting.value,
                        "words": setting_words(category, setting),
                        "none": setting.is_none,
                        "consent": setting.with_consent is not None,
                        "label": f"{names.subject(subject)}: "
                        f"{ACTION_HEADERS[action].lower()} {category_label(category)}",
                        "options": [
                            (o.value, setting_words(category, o)) for o in options_for(category)
                        ],
                    }
                )
            if editing or not all(c["none"] for c in cells):
                rows.append(
                    {
                        "who": names.subject(subject),
                        "users": users_reached(names, subject),
                        "cells": cells,
                    }
                )
        out.append(
            {
                "category": category,
                "label": category_label(category),
                "headers": [ACTION_HEADERS[a] for a in actions],
                "rows": rows,
            }
        )
    return out
