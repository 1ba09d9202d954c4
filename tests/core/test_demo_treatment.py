"""The demo carries structured treatment, so its partnerships can file their national
returns and show their treatment standards: Low Moss its DAISy return and referral to first
treatment, Leicester its NDTMS return and continuity of care after release."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.accounts.models import User
from core.accounts.services import issue_token
from core.app import create_app
from core.db.engine import make_engine, make_session_factory
from core.tenancy.spec import load_specs
from tests.core.test_demo import SMALL, load, sized

MONTH = "2015-02"  # the month before the demo's day (tests/core/test_demo.TODAY)
PERIOD = {"start": "2014-04-01", "end": "2015-03-18", "exact": "true"}


@pytest.fixture
async def factory(settings: Any) -> Any:
    engine = make_engine(settings.db)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


async def test_the_demo_files_both_returns_and_reports_both_standards(settings: Any, factory):
    specs = sized(load_specs(settings.paths.tenants_dir), SMALL)
    await load(factory, specs)
    tokens: dict[str, str] = {}
    async with factory() as session:
        for spec in specs:
            lead = next(u for u in spec.demo.users if "partnership_lead" in u.roles)
            user = await session.scalar(select(User).where(User.username == lead.username))
            assert user is not None
            tokens[spec.slug] = (await issue_token(session, user, settings.security)).token
        await session.commit()
    async with AsyncTestClient(app=create_app(settings)) as client:
        for slug, kind in (("low-moss", "daisy"), ("leicester", "ndtms")):
            headers = {"Authorization": f"Bearer {tokens[slug]}"}
            api = f"/api/v1/t/{slug}/returns/{kind}"
            summary = await client.get(api, params={"month": MONTH}, headers=headers)
            assert summary.status_code == 200, summary.text
            body = summary.json()
            assert body["rows"] > 0 and body["people"] > 0, (slug, body)
            # The demo records what the return needs: whatever is left is only what the lead
            # may not read, never a bad code or a missing field nobody recorded.
            wrong = [p for p in body["problems"] if "not shared with you" not in p["problem"]]
            assert wrong == [], (slug, wrong[:5])
            extract = await client.get(
                f"{api}/extract.csv", params={"month": MONTH}, headers=headers
            )
            assert extract.status_code == 200, extract.text
            assert len(list(csv.DictReader(io.StringIO(extract.text)))) == body["rows"]

            waiting = await client.get(
                f"/api/v1/t/{slug}/reports/waiting-times", params=PERIOD, headers=headers
            )
            assert waiting.status_code == 200, waiting.text
            rows = {
                f"{t['key']}.{r['key']}": r["value"]
                for t in waiting.json()["tables"]
                for r in t["rows"]
            }
            if slug == "low-moss":
                assert rows["first_treatment.started"] > 0, rows
            else:
                assert rows["continuity_of_care.released_in_treatment"] > 0, rows
                assert rows["continuity_of_care.engaged_within_21_days"] > 0, rows
