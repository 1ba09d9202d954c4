"""Wire types of the reports. A figure is an exact count or a suppression marker string
(``"<5"``, ``"*"``): see :mod:`core.reports.suppression`."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec

from core.reports.suppression import Figure, Percent


class ReportRow(msgspec.Struct):
    key: str
    label: str
    # A count, a suppression marker or a rate: documented as one number-or-string, since an
    # integer is also a number and "int | float" would make every count match twice.
    value: float | str | None
    # Whole percent of the row's base (named in the table's ``percent_of``), when it has one.
    percent: Percent = None


class ReportTable(msgspec.Struct):
    key: str
    title: str
    rows: list[ReportRow]
    percent_of: str | None = None
    note: str | None = None


class ReportPeriod(msgspec.Struct):
    start: date
    end: date
    organisation_id: uuid.UUID | None = None
    organisation_name: str | None = None


class ReportSection(msgspec.Struct):
    key: str
    title: str
    period: ReportPeriod
    # False only for a partnership lead who asked for exact figures (?exact=true).
    suppressed: bool
    tables: list[ReportTable]
    # How each figure is defined from the case record.
    definitions: list[str] = []


class PluginMetric(msgspec.Struct):
    key: str
    label: str
    section: str
    plugin: str
    value: Figure | None
    available: bool


class MetricsSection(msgspec.Struct):
    period: ReportPeriod
    suppressed: bool
    metrics: list[PluginMetric]


class FullReport(msgspec.Struct):
    tenant: str
    title: str
    period: ReportPeriod
    suppressed: bool
    generated_at: datetime
    sections: list[ReportSection]
    metrics: list[PluginMetric]


class ReportRunOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    period_start: date
    period_end: date
    created_at: datetime
    created_by: uuid.UUID | None
