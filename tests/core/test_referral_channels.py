"""The ways a person comes to the service that the seeds name: on arrival, after a
collapse, by application, by the in-cell telephone, at a drop-in."""

from __future__ import annotations

from typing import Any

import pytest

from core.web.filters import humanise
from tests.core.test_outcomes import LM, make_person

CHANNELS = ("reception", "health_incident", "application", "in_cell_telephone", "drop_in")


@pytest.mark.parametrize("source", CHANNELS)
async def test_each_channel_is_a_referral_source(world: Any, source: str) -> None:
    person_id = await make_person(world)
    made = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": person_id, "source": source}
    )
    assert made.status_code == 201, made.text
    listed = await world.get("lm_worker", f"{LM}/referrals", params={"source": source})
    assert [r["source"] for r in listed.json()["items"]] == [source]
    # Each reads as words on the pages, not as its code.
    assert "_" not in humanise(source) and humanise(source)[0].isupper()
