"""The matrix reads every template and writes back what was chosen, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.authz.matrix import (
    CHANGED_HEADING,
    Setting,
    apply,
    changed,
    options_for,
    rules_in,
    same_lines,
    settings,
)
from core.authz.protocol import policy_lines

POLICIES = Path(__file__).resolve().parents[3] / "policies" / "protocols"
TEMPLATES = sorted(POLICIES.glob("*.csv"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_no_change_leaves_the_text_as_it_was(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert apply(text, path.stem, {}) == text.rstrip("\n") + "\n"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_every_option_of_every_cell_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    before = settings(rules_in(text))
    for key in sorted(before):
        for option in options_for(key[1]):
            out = apply(text, path.stem, {key: option})
            after = settings(rules_in(out))
            expected = {k: v for k, v in before.items() if k != key}
            if not option.is_none:
                expected[key] = option
            assert after == expected, (key, option)
            # Only that key's lines change: every other line and comment stays, in place.
            own = f"p, {key[0]}, {path.stem}, {key[1]}, {key[2]},"
            kept = [line for line in text.splitlines() if not line.startswith(own)]
            assert all(line in out.splitlines() for line in kept)


def test_a_cell_with_consent_wider_than_without_is_one_setting() -> None:
    text = (
        "p, r:case_worker, x, case_notes, read, own_organisation, no_consent\n"
        "p, r:case_worker, x, case_notes, read, partnership, consent\n"
        "p, r:case_worker, x, case_notes, read, assigned, no_consent\n"  # covered: no effect
        "p, r:case_worker, x, case_notes, read, assigned, consent\n"
    )
    assert settings(rules_in(text)) == {
        ("r:case_worker", "case_notes", "read"): Setting("own_organisation", "partnership")
    }


def test_a_new_cell_goes_under_one_heading_and_a_cleared_one_leaves() -> None:
    text = "# comment\np, r:nurse, x, health, read, partnership, no_consent\n"
    out = apply(
        text,
        "x",
        {
            ("r:nurse", "health", "read"): Setting(),
            ("k:nhs", "health", "write"): Setting(None, "assigned"),
        },
    )
    assert "# comment" in out
    assert CHANGED_HEADING in out
    assert policy_lines(out) == ["p, k:nhs, x, health, write, assigned, consent"]
    assert changed(settings(rules_in(text)), settings(rules_in(out))) == [
        ("k:nhs", "health", "write"),
        ("r:nurse", "health", "read"),
    ]
    assert same_lines(out, "p, k:nhs, x, health, write, assigned, consent")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-/-", Setting()),
        ("assigned/partnership", Setting("assigned", "partnership")),
        ("partnership/assigned", None),  # consent inside what is shared anyway
        ("everyone/-", None),
        ("assigned", None),
    ],
)
def test_a_posted_value_is_parsed_or_refused(value: str, expected: Setting | None) -> None:
    assert Setting.parse(value) == expected


def test_partnership_permissions_are_yes_or_no() -> None:
    assert options_for("protocol") == [Setting(), Setting("partnership")]
    assert len(options_for("health")) == 10
