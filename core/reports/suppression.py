"""Small-number suppression, so that no published figure identifies a person.

Rules (Public Health Scotland / NHS statistical disclosure practice):

* A count of 1 to 4 is published as ``"<5"`` (primary suppression).
* 0 is published as 0, as the usual NHS and Scottish practice does: that nobody is in a
  group discloses nobody (one exception, small totals, is below).
* Secondary suppression: a table publishes its totals, so a single hidden cell in a row,
  column or any other line "parts add up to a total" could be worked out by subtraction.
  Whenever a line holds exactly one hidden figure, the next-smallest non-zero figure of that
  line is hidden too and published as ``"*"``. Zeros are never chosen: a hidden zero beside
  a hidden 1 leaves the 1 recoverable (nothing can move down).
* Because the markers differ (a reader knows ``"<5"`` is 1-4 and ``"*"`` is 5 or more),
  two hidden cells are not always enough (``"<5"`` = 1 beside ``"*"`` = 5 can only be that).
  After the per-line rule, every hidden figure is checked: if no other table consistent with
  everything published gives it a different value, one more figure of its line is hidden,
  and the check is repeated. The check searches a window around the true values, so it can
  only over-suppress, never under-suppress.
* Inside a line whose total is under five, every part reads "<5", zeros included ("<5"
  honestly means fewer than five): otherwise 1+1+1+1 = "<5" with four non-zero parts could
  only be ones. Such a hidden zero may still be deducible as zero; that is no disclosure,
  since zeros are published anyway. The guarantee is: no hidden count of one or more can
  be worked out.
* A percentage is published only when both its numerator and denominator are; otherwise it
  is ``"*"``.

A table is a list of figures and its *lines*: each line says "these figures add up to that
figure". A plain list with a total is one line; figures sharing a total (decisions and
sources of the same referrals) are two lines on one total; a grid with row and column totals
has a line per row, per column, and the two margins (meant for small cross-tabulations: the
check is a search, and on a grid it errs towards hiding more).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5
PRIMARY = "<5"  # a count of 1-4
SECONDARY = "*"  # hidden so that a "<5" cannot be worked out, or derived from a hidden count

# Published figure: an exact count, or one of the two markers.
Figure = int | str
# Published percentage: whole percent, "*" when derived from a hidden figure, None when
# the denominator is zero.
Percent = int | str | None

# How far around its true value the recoverability check looks for another value.
_WINDOW = 6


@dataclass(frozen=True)
class Line:
    """``sum(values[m] for m in members) == values[total]``."""

    members: tuple[int, ...]
    total: int

    @property
    def elements(self) -> tuple[int, ...]:
        return (*self.members, self.total)


def is_primary(value: int) -> bool:
    return 1 <= value < THRESHOLD


def suppress_single(value: int) -> Figure:
    """A figure that stands alone (no total to subtract it from)."""
    return PRIMARY if is_primary(value) else value


def weak_members(published: Sequence[Figure], lines: Sequence[Line]) -> set[int]:
    """Members of a line whose total reads "<5": a reader knows they are 0-4, not 1-4."""
    return {m for line in lines if published[line.total] == PRIMARY for m in line.members}


def hidden_elements(values: Sequence[int], lines: Sequence[Line]) -> set[int]:
    """Indexes of the figures that must not be published (primary and secondary)."""
    return _hide(values, lines)[0]


def _hide(values: Sequence[int], lines: Sequence[Line]) -> tuple[set[int], set[int]]:
    """The hidden figures and, among them, those published as "<5" (the rest read "*")."""
    if any(v < 0 for v in values):
        raise ValueError("counts cannot be negative")
    small = {i for i, v in enumerate(values) if is_primary(v)}
    # A line whose total is under five has every part under five: all its parts read "<5",
    # zeros included, or the zeros beside them would pin the small ones down (1+1+1+1 = "<5"
    # with four non-zero parts can only be 1 each). A part that is itself a total spreads it.
    while True:
        more = {m for line in lines if line.total in small for m in line.members} - small
        if not more:
            break
        small |= more
    hidden = set(small)
    while True:
        single = next(
            (
                line
                for line in lines
                if sum(1 for e in line.elements if e in hidden) == 1
                and _protector(values, hidden, line) is not None
            ),
            None,
        )
        if single is not None:
            hidden.add(_protector(values, hidden, single))  # type: ignore[arg-type]
            continue
        weak = {m for line in lines if line.total in small for m in line.members}
        exposed = next(
            (
                i
                for i in sorted(hidden)
                if values[i] > 0 and not _has_alternative(i, values, hidden, small, weak, lines)
            ),
            None,
        )
        if exposed is None:
            return hidden, small
        for line in lines:
            if exposed in line.elements:
                protector = _protector(values, hidden, line)
                if protector is not None:
                    hidden.add(protector)
                    break
        else:
            # Nothing left to hide beside it: hide every non-zero figure of the table.
            everything = {i for i, v in enumerate(values) if v > 0}
            if everything <= hidden:
                return hidden, small
            hidden |= everything


def _protector(values: Sequence[int], hidden: set[int], line: Line) -> int | None:
    """The next-smallest non-zero published figure of the line (a part before the total)."""
    parts = sorted((values[m], m) for m in line.members if m not in hidden and values[m] > 0)
    if parts:
        return parts[0][1]
    if line.total not in hidden and values[line.total] > 0:
        return line.total
    return None


def _domain(value: int, small: bool, weak: bool, exclude_true: bool) -> list[int]:
    """The values a reader cannot rule out for a hidden figure."""
    if small:
        options = list(range(0 if weak else 1, THRESHOLD))
    else:
        options = list(range(max(THRESHOLD, value - _WINDOW), value + _WINDOW + 1))
    return [v for v in options if not (exclude_true and v == value)]


def _has_alternative(
    target: int,
    values: Sequence[int],
    hidden: set[int],
    small: set[int],
    weak: set[int],
    lines: Sequence[Line],
) -> bool:
    """Is there a table, consistent with what is published, where ``target`` differs?"""
    order = [target, *sorted(hidden - {target})]
    domains = {i: _domain(values[i], i in small, i in weak, i == target) for i in order}
    relevant = [line for line in lines if any(e in hidden for e in line.elements)]
    # Each line as coefficients: members +1, total -1; the published part is a constant.
    shapes: list[tuple[int, list[tuple[int, int]]]] = []
    for line in relevant:
        terms = [(m, 1) for m in line.members] + [(line.total, -1)]
        constant = sum(c * values[e] for e, c in terms if e not in hidden)
        shapes.append((constant, [(e, c) for e, c in terms if e in hidden]))
    assigned: dict[int, int] = {}

    def feasible() -> bool:
        for constant, terms in shapes:
            low = high = constant
            for element, coefficient in terms:
                if element in assigned:
                    low += coefficient * assigned[element]
                    high += coefficient * assigned[element]
                else:
                    bounds = (domains[element][0], domains[element][-1])
                    low += min(coefficient * b for b in bounds)
                    high += max(coefficient * b for b in bounds)
            if not low <= 0 <= high:
                return False
        return True

    def search(k: int) -> bool:
        if k == len(order):
            return True
        element = order[k]
        for option in domains[element]:
            assigned[element] = option
            if feasible() and search(k + 1):
                return True
        del assigned[element]
        return False

    return bool(domains[target]) and search(0)


def publish(values: Sequence[int], lines: Sequence[Line]) -> list[Figure]:
    hidden, small = _hide(values, lines)
    return [
        (PRIMARY if i in small else SECONDARY) if i in hidden else v for i, v in enumerate(values)
    ]


def suppress_counts(counts: Mapping[str, int]) -> tuple[dict[str, Figure], Figure]:
    """A list of disjoint groups and their total (the total is published too)."""
    keys = list(counts)
    values = [counts[k] for k in keys] + [sum(counts.values())]
    line = Line(members=tuple(range(len(keys))), total=len(keys))
    published = publish(values, [line])
    return dict(zip(keys, published[:-1], strict=True)), published[-1]


@dataclass(frozen=True)
class Grid:
    cells: list[list[Figure]]
    row_totals: list[Figure]
    column_totals: list[Figure]
    total: Figure


def grid_lines(rows: int, columns: int) -> list[Line]:
    """The lines of a rows x columns grid laid out as cells, row totals, column totals,
    grand total."""
    cell = lambda r, c: r * columns + c  # noqa: E731
    row_total = lambda r: rows * columns + r  # noqa: E731
    column_total = lambda c: rows * columns + rows + c  # noqa: E731
    grand = rows * columns + rows + columns
    lines = [Line(tuple(cell(r, c) for c in range(columns)), row_total(r)) for r in range(rows)]
    lines += [Line(tuple(cell(r, c) for r in range(rows)), column_total(c)) for c in range(columns)]
    lines.append(Line(tuple(row_total(r) for r in range(rows)), grand))
    lines.append(Line(tuple(column_total(c) for c in range(columns)), grand))
    return lines


def suppress_grid(cells: Sequence[Sequence[int]]) -> Grid:
    """A cross-tabulation with its row, column and grand totals (all published)."""
    rows, columns = len(cells), len(cells[0]) if cells else 0
    flat = [v for row in cells for v in row]
    row_totals = [sum(row) for row in cells]
    column_totals = [sum(row[c] for row in cells) for c in range(columns)]
    values = [*flat, *row_totals, *column_totals, sum(flat)]
    published = publish(values, grid_lines(rows, columns))
    n = rows * columns
    return Grid(
        cells=[published[r * columns : (r + 1) * columns] for r in range(rows)],
        row_totals=published[n : n + rows],
        column_totals=published[n + rows : n + rows + columns],
        total=published[-1],
    )


def percent(numerator: Figure, denominator: Figure) -> Percent:
    """Whole percent of two published figures; hidden if either is hidden."""
    if isinstance(numerator, str) or isinstance(denominator, str):
        return SECONDARY
    return exact_percent(numerator, denominator)


def exact_percent(numerator: int, denominator: int) -> Percent:
    """Whole percent, halves rounded up (56.9% is 57%), None for a zero denominator."""
    if denominator == 0:
        return None
    return (200 * numerator + denominator) // (2 * denominator)
