"""Small-number suppression: 1-4 shown as "<5", zeros shown, and no hidden figure can be
worked out from what a table publishes — checked by brute force over every table that is
consistent with the published figures."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.reports.suppression import (
    PRIMARY,
    SECONDARY,
    Figure,
    Line,
    grid_lines,
    percent,
    publish,
    suppress_counts,
    suppress_grid,
    suppress_single,
    weak_members,
)

# Small counts are where suppression bites; the larger ones give the totals room.
count = st.one_of(st.integers(0, 6), st.integers(0, 14))


def reader_options(published: list[Figure], lines: list[Line], bound: int) -> list[list[int]]:
    """What a reader who knows the rules can say of each figure from the published table."""
    weak = weak_members(published, lines)
    options = []
    for i, figure in enumerate(published):
        if figure == PRIMARY:
            options.append(list(range(0 if i in weak else 1, 5)))
        elif figure == SECONDARY:
            options.append(list(range(5, bound + 1)))  # hidden 1-4 read "<5"; zeros are shown
        else:
            options.append([figure])
    return options


def recoverable(values: list[int], lines: list[Line]) -> list[int]:
    """Hidden figures that every table consistent with the published one agrees on.

    A plain search over the reader's options, with values forced by a single open figure
    in a line: deliberately independent of the library's own check.
    """
    published = publish(values, lines)
    options = reader_options(published, lines, bound=max(values) + 8)
    hidden = [i for i, f in enumerate(published) if isinstance(f, str)]
    found: list[int] = []
    # A hidden zero may be deducible: zeros are published by policy, so that is no disclosure.
    for target in (i for i in hidden if values[i] > 0):
        known = {i: f for i, f in enumerate(published) if not isinstance(f, str)}
        for value in options[target]:
            if value != values[target] and solvable({**known, target: value}, options, lines):
                break
        else:
            found.append(target)
    return found


def solvable(assigned: dict[int, int], options: list[list[int]], lines: list[Line]) -> bool:
    """Can the rest be filled in so that every line adds up? Forced values first, then a
    plain search over the reader's options."""
    assigned = dict(assigned)
    changed = True
    while changed:
        changed = False
        for line in lines:
            terms = [(m, 1) for m in line.members] + [(line.total, -1)]
            open_terms = [(e, c) for e, c in terms if e not in assigned]
            rest = sum(c * assigned[e] for e, c in terms if e in assigned)
            if not open_terms and rest != 0:
                return False
            if len(open_terms) == 1:
                element, coefficient = open_terms[0]
                value = -rest * coefficient
                if value not in options[element]:
                    return False
                assigned[element] = value
                changed = True
    free = [i for i in range(len(options)) if i not in assigned]
    if not free:
        return True
    return any(solvable({**assigned, free[0]: v}, options, lines) for v in options[free[0]])


def one_line(values: list[int]) -> tuple[list[int], list[Line]]:
    return [*values, sum(values)], [Line(tuple(range(len(values))), len(values))]


def grid(cells: list[list[int]]) -> tuple[list[int], list[Line]]:
    rows, columns = len(cells), len(cells[0])
    flat = [v for row in cells for v in row]
    margins = [sum(row) for row in cells] + [sum(c) for c in zip(*cells, strict=True)]
    return [*flat, *margins, sum(flat)], grid_lines(rows, columns)


def test_one_to_four_shown_as_under_five_and_zero_shown():
    assert suppress_single(0) == 0
    assert suppress_single(3) == PRIMARY
    assert suppress_single(5) == 5
    published, total = suppress_counts({"a": 0, "b": 12, "c": 30})
    assert published == {"a": 0, "b": 12, "c": 30} and total == 42


def test_a_single_small_cell_takes_the_next_smallest_with_it():
    published, total = suppress_counts({"a": 3, "b": 9, "c": 7, "d": 40})
    assert published == {"a": PRIMARY, "b": 9, "c": SECONDARY, "d": 40}
    assert total == 59


def test_a_one_beside_a_five_needs_a_third_cell():
    # "<5" = 1 and "*" = 5 with a total of 6 leaves only 1 + 5: a third cell must go too.
    published, _ = suppress_counts({"a": 1, "b": 5, "c": 9})
    assert published == {"a": PRIMARY, "b": SECONDARY, "c": SECONDARY}


def test_percentages_of_hidden_counts_are_hidden():
    assert percent(PRIMARY, 40) == SECONDARY
    assert percent(12, SECONDARY) == SECONDARY
    assert percent(325, 571) == 57
    assert percent(0, 0) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(count, min_size=1, max_size=5))
def test_no_hidden_count_can_be_recovered_from_a_list_and_its_total(values):
    table, lines = one_line(values)
    published = publish(table, lines)
    assert all(isinstance(f, str) or f == v for f, v in zip(published, table, strict=True))
    assert recoverable(table, lines) == [], (values, published)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 2).flatmap(
        lambda rows: st.integers(2, 3).flatmap(
            lambda columns: st.lists(
                st.lists(st.integers(0, 7), min_size=columns, max_size=columns),
                min_size=rows,
                max_size=rows,
            )
        )
    )
)
def test_no_hidden_cell_of_a_grid_can_be_recovered_from_its_margins(cells):
    table, lines = grid(cells)
    published = publish(table, lines)
    assert recoverable(table, lines) == [], (cells, published)
    shaped = suppress_grid(cells)
    assert [f for row in shaped.cells for f in row] == published[: len(cells) * len(cells[0])]
