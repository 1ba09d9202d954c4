"""Small hand-written SVG charts: no plotting library, every label escaped."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from core.outcomes.models import DOMAINS
from core.reports.schemas import ReportSection

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 190
PLOT_WIDTH = 300
RIGHT = 70


def bar_chart(title: str, bars: list[tuple[str, int | str | None]]) -> str:
    """Horizontal bars of percentages; a suppressed or missing value is written, not drawn."""
    top = 34
    height = top + len(bars) * (BAR_HEIGHT + GAP) + 10
    width = LABEL_WIDTH + PLOT_WIDTH + RIGHT
    label = quoteattr(title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={label}>',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-family="sans-serif" font-size="14" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    for i, (label, value) in enumerate(bars):
        y = top + i * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT * 0.7
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y:.1f}" text-anchor="end" '
            f'font-family="sans-serif" font-size="12">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{PLOT_WIDTH}" height="{BAR_HEIGHT}" '
            f'fill="#eeeeee"/>'
        )
        if isinstance(value, int):
            bar = PLOT_WIDTH * max(0, min(value, 100)) / 100
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}" height="{BAR_HEIGHT}" '
                f'fill="#2a6f97"/>'
            )
            shown = f"{value}%"
        else:
            shown = "suppressed" if isinstance(value, str) else "no data"
        parts.append(
            f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 6}" y="{text_y:.1f}" '
            f'font-family="sans-serif" font-size="12">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def outcomes_chart(section: ReportSection) -> str:
    """Share of people whose latest review is better than their first, per domain."""
    rows = {r.key: r for t in section.tables for r in t.rows}
    bars = []
    for domain in DOMAINS:
        row = rows[f"{domain}.improved"]
        bars.append((domain.replace("_", " ").capitalize(), row.percent))
    return bar_chart("Latest outcome review better than the first (% of people)", bars)
