"""A goal that changes at a plan review, in the browser: the review form keeps what was typed
when the reason is missing, then the record shows the review and the new goal (issue 10)."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Seeded, api, sign_in
from tests.browser.test_record_journey import LM, check_page, new_person


def test_a_goal_changes_at_a_plan_review(page: Any, server: Seeded) -> None:
    base, tokens = server.base_url, server.tokens
    person = new_person(server, "Reviewgoal", "LM190301")
    referral = api(
        base,
        tokens["lm_worker"],
        "POST",
        f"{LM}/referrals",
        {
            "person_id": person,
            "source": "staff_concern",
            "referring_organisation_id": server.organisations["turning-point-scotland"],
        },
    )
    decision = {"decision": "full_support"}
    api(base, tokens["lm_lead"], "POST", f"{LM}/referrals/{referral['id']}/decision", decision)
    plan = {"person_id": person, "episode_id": referral["episode_id"], "goals": ["Reduce"]}
    api(base, tokens["lm_worker"], "POST", f"{LM}/plans", plan)
    first = {"person_id": person, "goal": "stabilisation", "set_on": date.today().isoformat()}
    api(base, tokens["lm_worker"], "POST", f"{LM}/treatment/goals", first)

    sign_in(page, "lm_worker")
    page.goto(f"/t/low-moss/persons/{person}")
    page.get_by_role("link", name="Review the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the recovery plan")
    expect(page.get_by_text("Their goal is stabilisation.")).to_be_visible()
    check_page(page, "plan-review-form")

    notes = "Stable on the script; agreed to start reducing"
    page.get_by_label("What was reviewed and agreed").fill(notes)
    page.get_by_label("Goal from this review").select_option("reduction")
    page.get_by_role("button", name="Save review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the goal is changing")
    expect(page.get_by_label("What was reviewed and agreed")).to_have_value(notes)
    expect(page.get_by_label("Goal from this review")).to_have_value("reduction")
    check_page(page, "plan-review-no-reason")

    page.get_by_label("Why is the goal changing? (needed if it changes)").fill("Ready to reduce")
    page.get_by_role("button", name="Save review").click()
    plan_section = page.locator("#plan").locator("xpath=..")
    expect(plan_section).to_contain_text(notes)
    expect(page.get_by_text("Plan review recorded")).to_be_visible()
    history = api(base, tokens["lm_worker"], "GET", f"{LM}/persons/{person}/treatment")
    assert [g["goal"] for g in history["goals"]] == ["reduction", "stabilisation"]
    assert history["goals"][0]["reason"] == "Ready to reduce"
    check_page(page, "record-after-plan-review")
