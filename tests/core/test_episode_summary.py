"""The episode summary for the Offender Manager: only what the sender may read and the
person consented to share with the recipient; sending recorded with a hash."""

from __future__ import annotations

import uuid
from typing import Any

from tests.core.test_consents import consents_url
from tests.core.test_outcomes import LM, audit_rows
from tests.core.test_treatment import person_in_treatment, today
from tests.core.test_web import PAGES, csrf_from, sign_in


async def setup(world: Any, consent: bool = True) -> tuple[str, str, str]:
    person_id, episode_id = await person_in_treatment(world)
    prison = world.org_id("low-moss", "sps-low-moss")
    started = await world.post(
        "lm_worker",
        f"{LM}/treatment/modalities",
        {"person_id": person_id, "modality": "psychosocial", "started_on": today()},
    )
    assert started.status_code == 201, started.text
    if consent:
        given = await world.post(
            "lm_worker",
            consents_url(person_id),
            {
                "category": "substance_use",
                "purpose": "Summary to the offender management unit",
                "lawful_basis": "consent",
                "recipient_organisation_id": prison,
            },
        )
        assert given.status_code == 201, given.text
    return person_id, episode_id, prison


def summary_url(episode_id: str) -> str:
    return f"{LM}/episodes/{episode_id}/summary"


async def test_the_summary_holds_only_consented_categories(world: Any) -> None:
    _, episode_id, prison = await setup(world)
    summary = await world.get(
        "lm_worker", summary_url(episode_id), params={"recipient_organisation_id": prison}
    )
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["shared"] == ["substance_use"]
    assert [t["modality"] for t in body["treatment"]] == ["psychosocial"]
    assert "case_notes" in body["left_out"]
    # Another recipient with no consent gets nothing: the treatment is not in it.
    nhs = world.org_id("low-moss", "nhs-ggc")
    other = await world.get(
        "lm_worker", summary_url(episode_id), params={"recipient_organisation_id": nhs}
    )
    assert other.status_code == 422  # not an Offender Manager's organisation


async def test_no_consent_nothing_to_send(world: Any) -> None:
    _, episode_id, prison = await setup(world, consent=False)
    body = (
        await world.get(
            "lm_worker", summary_url(episode_id), params={"recipient_organisation_id": prison}
        )
    ).json()
    assert body["shared"] == [] and body["treatment"] == []
    refused = await world.post(
        "lm_worker",
        f"{summary_url(episode_id)}/sendings",
        {
            "recipient_organisation_id": prison,
            "recipient_name": "Jo Manager",
            "content_sha256": body["content_sha256"],
        },
    )
    assert refused.status_code == 422


async def test_sending_is_recorded_and_a_stale_summary_refused(world: Any) -> None:
    person_id, episode_id, prison = await setup(world)
    body = (
        await world.get(
            "lm_worker", summary_url(episode_id), params={"recipient_organisation_id": prison}
        )
    ).json()
    # Something changes after it was read: the sender must read it again.
    await world.post(
        "lm_worker",
        f"{LM}/treatment/goals",
        {"person_id": person_id, "goal": "abstinence", "set_on": today()},
    )
    send = {
        "recipient_organisation_id": prison,
        "recipient_name": "Jo Manager",
        "content_sha256": body["content_sha256"],
    }
    stale = await world.post("lm_worker", f"{summary_url(episode_id)}/sendings", send)
    assert stale.status_code == 409
    fresh = (
        await world.get(
            "lm_worker", summary_url(episode_id), params={"recipient_organisation_id": prison}
        )
    ).json()
    sent = await world.post(
        "lm_worker",
        f"{summary_url(episode_id)}/sendings",
        {**send, "content_sha256": fresh["content_sha256"]},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["categories"] == ["substance_use"]
    listed = await world.get("lm_worker", f"{LM}/persons/{person_id}/summary-sendings")
    assert [s["recipient_name"] for s in listed.json()] == ["Jo Manager"]
    rows = await audit_rows(world, person_id=uuid.UUID(person_id), record_type="episode_summary")
    assert {r.action for r in rows} == {"read", "share"}
    # Another partnership cannot reach the episode.
    assert (
        await world.get(
            "lc_worker", summary_url(episode_id), params={"recipient_organisation_id": prison}
        )
    ).status_code == 404


async def test_the_summary_page_reads_then_records_the_sending(world: Any) -> None:
    world.client.follow_redirects = False
    person_id, episode_id, prison = await setup(world)
    await sign_in(world, "lm_worker")
    record = await world.client.get(f"{PAGES}/persons/{person_id}")
    page_url = f"{PAGES}/persons/{person_id}/episodes/{episode_id}/summary"
    assert page_url.removeprefix(PAGES) in record.text
    chooser = await world.client.get(page_url)
    assert chooser.status_code == 200 and "Who is it for?" in chooser.text
    page = await world.client.get(page_url, params={"to": prison})
    assert page.status_code == 200 and "Psychosocial" in page.text
    blank = await world.client.post(
        page_url,
        data={
            "to": prison,
            "content_sha256": "0" * 64,
            "recipient_name": "",
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert blank.status_code == 400 and "Offender Manager" in blank.text
    hash_value = page.text.split('name="content_sha256" value="')[1].split('"')[0]
    sent = await world.client.post(
        page_url,
        data={
            "to": prison,
            "content_sha256": hash_value,
            "recipient_name": "Jo Manager",
            "_csrf_token": csrf_from(blank.text),
        },
    )
    assert sent.status_code in (302, 303), sent.text
