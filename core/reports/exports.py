"""CSV and printable HTML renderings of reports. Both are made from the same Structs the
API returns, so an export can never show more than the API would."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from core.reports.charts import outcomes_chart
from core.reports.schemas import FullReport, ReportSection

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSV_HEADER = ["section", "table", "measure", "label", "value", "percent"]

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def spreadsheet_safe(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def sections_csv(sections: list[ReportSection]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for section in sections:
        for table in section.tables:
            for row in table.rows:
                writer.writerow(
                    [
                        section.key,
                        table.key,
                        row.key,
                        spreadsheet_safe(row.label),
                        spreadsheet_safe(row.value),
                        spreadsheet_safe(row.percent),
                    ]
                )
    return out.getvalue()


def report_csv(report: FullReport) -> str:
    text = sections_csv(report.sections)
    if not report.metrics:
        return text
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for metric in report.metrics:
        value = metric.value if metric.available else "unavailable"
        writer.writerow(
            [
                "plugins",
                metric.section,
                metric.key,
                spreadsheet_safe(metric.label),
                spreadsheet_safe(value),
                "",
            ]
        )
    return text + out.getvalue()


def report_html(report: FullReport) -> str:
    charts = {
        section.key: Markup(outcomes_chart(section))  # noqa: S704 - built from escaped parts
        for section in report.sections
        if section.key == "outcomes"
    }
    return _env.get_template("report.html").render(report=report, charts=charts)
