"""Running a national return: who may, for which month, and its audit."""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.services import record
from core.authz.access import Access
from core.errors import RuleViolation, not_found
from core.returns.extracts import NATION_OF, ReturnSummary, as_csv, extract_rows, summary

RETURN_NAMES = {"ndtms": "NDTMS", "daisy": "DAISy"}


def month_bounds(month: str | None) -> tuple[date, date]:
    """The month named, or the month just ended: a monthly return is filed after it."""
    if month is None:
        last = clock.today().replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    try:
        year, number = (int(p) for p in month.split("-"))
        start = date(year, number, 1)
    except ValueError:
        raise RuleViolation("The month must look like 2026-11", field="month") from None
    return start, date(year, number, calendar.monthrange(year, number)[1])


def pseudonym_key(secret_key: str) -> bytes:
    # Its own key, derived for this one purpose: a client reference cannot be checked
    # against any other hash the portal makes from the secret.
    return hashlib.sha256(
        b"throughcare national-return client reference\x00" + secret_key.encode()
    ).digest()


class NationalReturnService:
    def __init__(self, session: AsyncSession, access: Access, secret_key: str) -> None:
        self.session = session
        self.access = access
        self.actor = access.actor
        self.key = pseudonym_key(secret_key)

    async def _allowed(self, kind: str) -> None:
        if kind not in NATION_OF:
            raise not_found("Return")
        # Record-level, if pseudonymised: its own protocol permission, which the templates
        # give the partnership lead alone (never an analyst's ``reports, read``).
        await self.access.require_tenant("reports", "export")
        if NATION_OF[kind] != self.actor.nation:
            raise RuleViolation(
                f"{RETURN_NAMES[kind]} is {NATION_OF[kind].title()}'s return; this "
                f"partnership is in {self.actor.nation.title()}",
                field="kind",
            )

    async def completeness(self, kind: str, month: str | None) -> ReturnSummary:
        await self._allowed(kind)
        start, end = month_bounds(month)
        extract = await extract_rows(self.session, self.access, kind, start, end, self.key)
        record(
            self.session,
            self.actor,
            "read",
            "national_return",
            detail={"return": kind, "month": f"{start:%Y-%m}", "rows": len(extract.rows)},
        )
        await self.session.commit()
        return summary(kind, start, end, extract)

    async def csv(self, kind: str, month: str | None) -> tuple[str, str]:
        await self._allowed(kind)
        start, end = month_bounds(month)
        rows = (await extract_rows(self.session, self.access, kind, start, end, self.key)).rows
        record(
            self.session,
            self.actor,
            "export",
            "national_return",
            detail={"return": kind, "month": f"{start:%Y-%m}", "rows": len(rows)},
        )
        await self.session.commit()
        return as_csv(kind, rows), f"{start:%Y-%m}"
