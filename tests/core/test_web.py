"""The portal's pages through the test client: sign-in, CSRF, caseload, record, forms, meeting."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from core.hookspecs import hookimpl
from core.hooktypes import NavItem, PersonPanel
from core.web import assets
from tests.conftest import PASSWORD

LM = "/api/v1/t/low-moss"
PAGES = "/t/low-moss"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def no_redirects(world: Any) -> None:
    # Redirects are part of what these tests check: each is asserted, then followed by hand.
    world.client.follow_redirects = False


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def sign_in(world: Any, username: str, next: str = "/") -> Any:
    page = await world.client.get(f"/sign-in?next={next}")
    assert page.status_code == 200
    return await world.client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "next": next,
            "_csrf_token": csrf_from(page.text),
        },
    )


async def add_person(world: Any, given: str, family: str, number: str, **extra: Any) -> str:
    response = await world.post(
        "lm_worker",
        f"{LM}/persons",
        {
            "given_name": given,
            "family_name": family,
            "date_of_birth": "1985-02-03",
            "prison_number": number,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def form_post(world: Any, url: str, data: dict[str, str], headers: Any = None) -> Any:
    page = await world.client.get(url)
    assert page.status_code == 200, page.text
    return await world.client.post(
        url, data={**data, "_csrf_token": csrf_from(page.text)}, headers=headers
    )


def test_static_assets_are_built(world: Any) -> None:
    # `make install` builds them from node_modules; the pages link to each of these.
    assert assets.is_built(), "run `make install` (npm ci + python -m core.web.assets)"


async def test_static_files_are_served_without_sign_in(world: Any) -> None:
    css = await world.client.get("/static/govuk/govuk-frontend.min.css")
    assert css.status_code == 200
    assert "govuk-template" in css.text
    # GDS Transport is licensed for GOV.UK services only: no font is loaded.
    assert "@font-face" not in css.text
    assert "url(/assets/" not in css.text
    assert (await world.client.get("/static/app.css")).status_code == 200


async def test_a_page_redirects_to_sign_in_and_back(world: Any) -> None:
    response = await world.client.get(f"{PAGES}/caseload?q=ab")
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/sign-in?next=/t/low-moss/caseload%3Fq%3Dab"
    signed_in = await sign_in(world, "lm_worker", next="/t/low-moss/caseload")
    assert signed_in.status_code in (302, 303)
    assert signed_in.headers["location"] == "/t/low-moss/caseload"
    page = await world.client.get(f"{PAGES}/caseload")
    assert page.status_code == 200
    assert '<h1 class="govuk-heading-l">Caseload</h1>' in page.text
    assert 'href="#main-content"' in page.text  # skip link


async def test_sign_in_refuses_a_post_without_the_csrf_token(world: Any) -> None:
    response = await world.client.post(
        "/sign-in", data={"username": "lm_worker", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "Traceback" not in response.text and "CSRF" not in response.text


async def test_wrong_password_shows_the_error_summary_and_keeps_the_username(world: Any) -> None:
    page = await world.client.get("/sign-in")
    response = await world.client.post(
        "/sign-in",
        data={"username": "lm_worker", "password": "nope", "_csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert 'href="#username">Enter a correct username and password' in response.text
    assert 'value="lm_worker"' in response.text
    assert 'value="nope"' not in response.text
    assert "<title>Error: Sign in" in response.text


async def test_sign_in_never_redirects_off_site(world: Any) -> None:
    response = await sign_in(world, "lm_worker", next="//evil.example/x")
    assert response.headers["location"] == "/"


async def test_home_goes_straight_to_the_only_partnership(world: Any) -> None:
    await sign_in(world, "lm_worker")
    response = await world.client.get("/")
    assert response.headers["location"] == "/t/low-moss/caseload"


async def test_home_offers_a_choice_when_there_is_no_single_partnership(world: Any) -> None:
    await sign_in(world, "admin")
    response = await world.client.get("/")
    assert response.status_code == 200
    assert "You are not a member of any partnership yet" in response.text


async def test_another_partnership_is_a_plain_404_page(world: Any) -> None:
    await sign_in(world, "lm_worker")
    response = await world.client.get("/t/leicester/caseload")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Partnership not found" not in response.text


async def test_unknown_paths_are_html_for_people_and_json_for_the_api(world: Any) -> None:
    await sign_in(world, "lm_worker")
    page = await world.client.get("/no-such-page")
    assert page.status_code == 404 and "Page not found" in page.text
    api = await world.get("lm_worker", "/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["status_code"] == 404


async def test_the_api_needs_no_csrf_token(world: Any) -> None:
    person_id = await add_person(world, "Api", "Only", "A100001")
    assert person_id


async def test_caseload_searches_filters_and_sorts(world: Any) -> None:
    soon = (date.today() + timedelta(days=5)).isoformat()
    later = (date.today() + timedelta(days=40)).isoformat()
    await add_person(world, "Morag", "Adair", "P100001", liberation_date=later)
    await add_person(world, "Rab", "Boyle", "P200002", liberation_date=soon)
    await add_person(world, "Senga", "Cairns", "Q300003", location="in_community")
    await sign_in(world, "lm_worker")

    everyone = await world.client.get(f"{PAGES}/caseload")
    assert "<strong>3</strong> people" in everyone.text
    assert everyone.text.index("Adair") < everyone.text.index("Boyle")

    by_name = await world.client.get(f"{PAGES}/caseload", params={"q": "boyl"})
    assert "Boyle, Rab" in by_name.text and "Adair" not in by_name.text
    by_number = await world.client.get(f"{PAGES}/caseload", params={"q": "q300"})
    assert "Cairns, Senga" in by_number.text and "Boyle" not in by_number.text
    full_name = await world.client.get(f"{PAGES}/caseload", params={"q": "Morag Adair"})
    assert "Adair, Morag" in full_name.text

    community = await world.client.get(f"{PAGES}/caseload", params={"location": "in_community"})
    assert "Cairns" in community.text and "Adair" not in community.text
    window = await world.client.get(f"{PAGES}/caseload", params={"liberation_within": "7"})
    assert "Boyle" in window.text and "Adair" not in window.text
    by_date = await world.client.get(f"{PAGES}/caseload", params={"sort": "liberation"})
    assert by_date.text.index("Boyle") < by_date.text.index("Adair") < by_date.text.index("Cairns")

    nobody = await world.client.get(f"{PAGES}/caseload", params={"q": "zzz"})
    assert "No people match your search" in nobody.text

    partial = await world.client.get(
        f"{PAGES}/caseload", params={"q": "boyl"}, headers={"HX-Request": "true"}
    )
    assert partial.text.lstrip().startswith('<div id="results"')
    assert "<html" not in partial.text


async def test_empty_caseload_says_so(world: Any) -> None:
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload")
    assert "There is nobody on this partnership" in page.text


async def test_log_an_intervention_and_see_it_on_the_timeline(world: Any) -> None:
    person_id = await add_person(world, "Jamie", "Timeline", "T100001")
    await sign_in(world, "lm_worker")
    url = f"{PAGES}/persons/{person_id}/interventions/new"
    today = date.today() - timedelta(days=1)  # 9:15 today may be still to come
    response = await form_post(
        world,
        url,
        {
            "kind": "motivational_interview",
            "setting": "prison",
            "occurred_on-day": str(today.day),
            "occurred_on-month": str(today.month),
            "occurred_on-year": str(today.year),
            "occurred_time": "09:15",
            "duration_minutes": "45",
            "notes": "Talked about the group programme",
        },
    )
    assert response.status_code in (302, 303), response.text
    assert response.headers["location"].endswith("?done=intervention#timeline")
    record = await world.client.get(response.headers["location"])
    assert "Intervention logged" in record.text
    assert "Motivational interview" in record.text
    assert "Talked about the group programme" in record.text
    assert "9:15am" in record.text and "45 minutes" in record.text
    api = await world.get("lm_worker", f"{LM}/interventions?person_id={person_id}")
    assert [i["kind"] for i in api.json()["items"]] == ["motivational_interview"]


async def test_an_invalid_intervention_keeps_what_was_typed(world: Any) -> None:
    person_id = await add_person(world, "Jamie", "Mistake", "T100002")
    await sign_in(world, "lm_worker")
    response = await form_post(
        world,
        f"{PAGES}/persons/{person_id}/interventions/new",
        {
            "kind": "",
            "setting": "prison",
            "occurred_on-day": "31",
            "occurred_on-month": "2",
            "occurred_on-year": "2026",
            "duration_minutes": "lots",
            "notes": "Keep this note",
        },
    )
    assert response.status_code == 400
    text = response.text
    assert 'href="#kind">Select the kind of intervention' in text
    assert 'href="#occurred_on">Date of the intervention must be a real date' in text
    assert 'href="#duration_minutes">' in text
    assert 'id="kind-error"' in text and 'aria-describedby="kind-error"' in text
    assert "Keep this note</textarea>" in text
    assert 'value="lots"' in text
    api = await world.get("lm_worker", f"{LM}/interventions?person_id={person_id}")
    assert api.json()["items"] == []


async def test_a_service_rule_is_shown_beside_its_field(world: Any) -> None:
    # Born 1985: an intervention dated 1980 breaks the service's own rule.
    person_id = await add_person(world, "Jamie", "Rule", "T100003")
    await sign_in(world, "lm_worker")
    response = await form_post(
        world,
        f"{PAGES}/persons/{person_id}/interventions/new",
        {
            "kind": "one_to_one",
            "setting": "prison",
            "occurred_on-day": "1",
            "occurred_on-month": "1",
            "occurred_on-year": "1980",
        },
    )
    assert response.status_code == 400
    assert 'href="#occurred_on">The intervention is dated before the person' in response.text


async def test_the_record_page_shows_every_section(world: Any) -> None:
    person_id = await add_person(world, "Ally", "Record", "R100001")
    referral = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": person_id, "source": "self"}
    )
    assert referral.status_code == 201, referral.text
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert page.status_code == 200
    for heading in (
        "Timeline",
        "Recovery plan",
        "Outcome reviews",
        "Consent",
        "Referrals and episodes",
        "What is shared with you",
    ):
        assert f">{heading}</h2>" in page.text
    assert "Self" in page.text  # the referral's source


async def test_an_unknown_person_is_a_404_page(world: Any) -> None:
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/persons/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404 and "Page not found" in page.text


async def test_outcome_review_form_and_distance_chart(world: Any) -> None:
    person_id = await add_person(world, "Ewan", "Scores", "S100001")
    await sign_in(world, "lm_worker")
    url = f"{PAGES}/persons/{person_id}/reviews/new"
    domains = (
        "criminal_activity",
        "engagement",
        "living_situation",
        "physical_health",
        "psychological_wellbeing",
        "social_functioning",
        "substance_misuse",
    )
    for day, score in ((date.today() - timedelta(days=40), "3"), (date.today(), "7")):
        response = await form_post(
            world,
            url,
            {
                "reviewed_on-day": str(day.day),
                "reviewed_on-month": str(day.month),
                "reviewed_on-year": str(day.year),
                "setting": "prison",
                **dict.fromkeys(domains, score),
            },
        )
        assert response.status_code in (302, 303), response.text
    page = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert page.text.count('<svg class="app-chart"') == 7
    assert "From 3 to 7 out of 10 over 2 reviews: up 4" in page.text


async def test_outcome_review_names_each_missing_domain(world: Any) -> None:
    person_id = await add_person(world, "Ewan", "Partial", "S100002")
    await sign_in(world, "lm_worker")
    response = await form_post(
        world,
        f"{PAGES}/persons/{person_id}/reviews/new",
        {
            "reviewed_on-day": "1",
            "reviewed_on-month": "1",
            "reviewed_on-year": "2026",
            "setting": "prison",
            "engagement": "5",
        },
    )
    assert response.status_code == 400
    assert 'href="#criminal_activity">Select a score for criminal activity' in response.text
    assert 'href="#engagement"' not in response.text
    assert 'value="5" checked' in response.text


async def test_liberation_date_referral_and_consent_forms(world: Any) -> None:
    person_id = await add_person(world, "Kenny", "Forms", "F100001")
    await sign_in(world, "lm_worker")
    base = f"{PAGES}/persons/{person_id}"
    release = date.today() + timedelta(days=10)
    response = await form_post(
        world,
        f"{base}/liberation",
        {
            "liberation_date-day": str(release.day),
            "liberation_date-month": str(release.month),
            "liberation_date-year": str(release.year),
        },
    )
    assert response.status_code in (302, 303), response.text
    person = await world.get("lm_worker", f"{LM}/persons/{person_id}")
    assert person.json()["liberation_date"] == release.isoformat()

    response = await form_post(
        world, f"{base}/referrals/new", {"source": "staff_concern", "reason": "Night report"}
    )
    assert response.status_code in (302, 303), response.text
    referrals = await world.get("lm_worker", f"{LM}/referrals?person_id={person_id}")
    assert [r["source"] for r in referrals.json()["items"]] == ["staff_concern"]

    missing = await form_post(world, f"{base}/consents/new", {"lawful_basis": "consent"})
    assert missing.status_code == 400
    assert 'href="#category">' in missing.text and 'href="#recipient">' in missing.text
    response = await form_post(
        world,
        f"{base}/consents/new",
        {
            "category": "health",
            "recipient": "kind:third_sector",
            "purpose": "Continuity of care",
            "lawful_basis": "consent",
        },
    )
    assert response.status_code in (302, 303), response.text
    page = await world.client.get(f"{base}")
    consent_section = page.text[page.text.index('id="consent"') :][:3000]
    assert "Every third sector partner" in page.text, consent_section
    consent_id = re.search(r"/consents/([0-9a-f-]{36})/withdraw", page.text).group(1)
    # Withdrawing goes through a confirmation page that asks why; without a reason nothing changes.
    confirm = await world.client.get(f"{base}/consents/{consent_id}/withdraw")
    assert confirm.status_code == 200 and "Withdraw consent to share" in confirm.text
    unexplained = await world.client.post(
        f"{base}/consents/{consent_id}/withdraw", data={"_csrf_token": csrf_from(confirm.text)}
    )
    assert unexplained.status_code == 400 and 'href="#reason"' in unexplained.text
    still = await world.get("lm_worker", f"{LM}/persons/{person_id}/consents")
    assert still.json()["items"][0]["withdrawn_at"] is None
    withdrawn = await world.client.post(
        f"{base}/consents/{consent_id}/withdraw",
        data={"_csrf_token": csrf_from(confirm.text), "reason": "Changed their mind"},
    )
    assert withdrawn.status_code in (302, 303)
    consents = await world.get("lm_worker", f"{LM}/persons/{person_id}/consents")
    assert consents.json()["items"][0]["withdrawn_at"] is not None


async def test_daily_meeting_from_agenda_to_outcomes(world: Any) -> None:
    ids = [await add_person(world, "Person", f"Agenda{n}", f"M10000{n}") for n in range(3)]
    for person_id in ids:
        response = await world.post(
            "lm_officer", f"{LM}/referrals", {"person_id": person_id, "source": "staff_concern"}
        )
        assert response.status_code == 201, response.text
    # The chair: a case worker whose organisation may read these people's case notes.
    await sign_in(world, "lm_worker")
    agenda = await world.client.get(f"{PAGES}/meeting")
    assert "3 people to discuss" in agenda.text
    started = await world.client.post(
        f"{PAGES}/meeting", data={"_csrf_token": csrf_from(agenda.text)}
    )
    assert started.status_code in (302, 303)
    meeting_url = started.headers["location"]
    page = await world.client.get(meeting_url)
    assert page.text.count('class="govuk-summary-card"') == 3
    item_id = re.search(r'id="item-([0-9a-f-]{36})"', page.text).group(1)
    token = csrf_from(page.text)

    saved = await world.client.post(
        f"{meeting_url}/items/{item_id}",
        data={"outcome": "Offered full support", "_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert saved.text.lstrip().startswith('<div class="govuk-summary-card"')
    assert "Offered full support</textarea>" in saved.text

    org_id = world.org_id("low-moss", "turning-point-scotland")
    bad = await world.client.post(
        f"{meeting_url}/items/{item_id}/actions",
        data={"description": "", "owner_organisation_id": org_id, "_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert 'href="#item-' in bad.text and "Enter the action agreed" in bad.text
    added = await world.client.post(
        f"{meeting_url}/items/{item_id}/actions",
        data={
            "description": "See him today",
            "owner_organisation_id": org_id,
            "_csrf_token": token,
        },
    )
    assert added.status_code in (302, 303)
    meeting_id = meeting_url.rsplit("/", 1)[1]
    detail = await world.get("lm_worker", f"{LM}/meetings/{meeting_id}")
    body = detail.json()
    assert [a["description"] for a in body["actions"]] == ["See him today"]
    assert [i["outcome"] for i in body["items"] if i["id"] == item_id] == ["Offered full support"]
    escalated = await world.client.post(
        f"{meeting_url}/items/{item_id}/escalate",
        data={"reason": "Needs its own meeting", "confirm": "yes", "_csrf_token": token},
    )
    assert escalated.status_code in (302, 303)
    page = await world.client.get(meeting_url)
    card = page.text[page.text.index(f'id="item-{item_id}"') :][:1500]
    assert ">Escalated</strong>" in card
    # A second visit to today's meeting goes to the same meeting.
    again = await world.client.get(f"{PAGES}/meeting")
    assert again.headers["location"] == meeting_url


async def test_sign_out_ends_the_session_and_a_stale_cookie_says_expired(world: Any) -> None:
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload")
    out = await world.client.post("/sign-out", data={"_csrf_token": csrf_from(page.text)})
    assert out.status_code in (302, 303) and out.headers["location"] == "/signed-out"
    after = await world.client.get(f"{PAGES}/caseload")
    assert after.headers["location"].startswith("/sign-in?next=")
    assert "expired" not in after.headers["location"]
    world.client.cookies.set("throughcare_session", "stale-session-id")
    stale = await world.client.get(f"{PAGES}/caseload")
    assert stale.headers["location"].endswith("&expired=1")
    notice = await world.client.get(stale.headers["location"])
    assert "Your session has ended" in notice.text


@pytest.mark.parametrize("path", ["/sign-in", "/signed-out"])
async def test_public_pages_render_without_a_session(world: Any, path: str) -> None:
    response = await world.client.get(path)
    assert response.status_code == 200
    assert "<main" in response.text and 'lang="en"' in response.text


async def add_task(world: Any, username: str, title: str, due: date, key: str) -> None:
    from core.db.engine import make_engine, make_session_factory
    from core.notifications.services import notify

    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            await notify(
                session,
                world.tenants["low-moss"].id,
                [world.users[username].id],
                kind="outcome_review_due",
                title=title,
                link=None,
                key=key,
                due_date=due,
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_my_tasks_lists_overdue_first_and_can_mark_one_done(world: Any) -> None:
    await add_task(world, "lm_worker", "Review due for Ally", date.today() + timedelta(days=3), "a")
    await add_task(world, "lm_worker", "Assessment overdue", date.today() - timedelta(days=2), "b")
    await add_task(world, "lm_sacro", "Someone else's task", date.today(), "c")
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/tasks")
    assert page.status_code == 200
    text = page.text
    assert text.index("Assessment overdue") < text.index("Review due for Ally")
    assert "1 overdue" in text
    assert "Someone else" not in text
    task_id = re.search(r"/tasks/([0-9a-f-]{36})/done", text).group(1)
    done = await world.client.post(
        f"{PAGES}/tasks/{task_id}/done", data={"_csrf_token": csrf_from(text)}
    )
    assert done.headers["location"] == f"{PAGES}/tasks?done=1"
    after = await world.client.get(done.headers["location"])
    assert "Task marked as done" in after.text and "Assessment overdue" not in after.text
    finished = await world.client.get(f"{PAGES}/tasks", params={"show": "done"})
    assert "Assessment overdue" in finished.text


async def test_navigation_has_core_links_and_the_enabled_plugins_links(world: Any) -> None:
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload")
    nav = page.text[page.text.index('id="navigation"') :]
    assert nav.index(">Caseload<") < nav.index("Daily meeting") < nav.index("My tasks")
    assert 'aria-current="true"' in nav


class PanelPlugin:
    """A plugin for one test: a panel that fails, one withheld, a nav link for leads only."""

    def __init__(self) -> None:
        self.withheld_loaded = False

    @hookimpl
    def register_person_panels(self) -> list[PersonPanel]:
        async def broken(session: Any, access: Any, person_id: Any) -> dict[str, Any]:
            raise RuntimeError("the plugin's database table is missing")

        async def secret(session: Any, access: Any, person_id: Any) -> dict[str, Any]:
            self.withheld_loaded = True
            return {}

        return [
            PersonPanel(
                name="broken",
                title="Broken panel",
                category="identity",
                template="pages/error.html",
                load=broken,
            ),
            PersonPanel(
                name="secret",
                title="Clinical panel",
                category="health",
                template="pages/error.html",
                load=secret,
            ),
        ]

    @hookimpl
    def register_navigation(self) -> list[NavItem]:
        return [NavItem(label="Leads only", path="leads", order=5, roles=("partnership_lead",))]


async def test_plugin_panels_fail_alone_and_withheld_ones_are_not_loaded(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litestar.testing import AsyncTestClient

    import core.plugins
    from core.app import create_app
    from core.plugins import build_plugin_manager

    pm = build_plugin_manager()
    plugin = PanelPlugin()
    pm.register(plugin, name="web-test-panels")
    monkeypatch.setattr(
        core.plugins, "ESSENTIAL_PLUGINS", (*core.plugins.ESSENTIAL_PLUGINS, "web-test-panels")
    )
    person_id = await add_person(world, "Panel", "Person", "PP10001")
    async with AsyncTestClient(app=create_app(world.settings, pm)) as client:
        client.follow_redirects = False
        for username, sees_leads_link in (("lm_worker", False), ("lm_lead", True)):
            client.cookies.clear()
            page = await client.get("/sign-in")
            await client.post(
                "/sign-in",
                data={
                    "username": username,
                    "password": PASSWORD,
                    "_csrf_token": csrf_from(page.text),
                },
            )
            record = await client.get(f"{PAGES}/persons/{person_id}")
            assert record.status_code == 200
            assert ("Leads only" in record.text) is sees_leads_link
        broken = record.text[record.text.index(">Broken panel<") :][:400]
        assert "This section is unavailable just now" in broken
        secret = record.text[record.text.index(">Clinical panel<") :][:400]
        assert "is not shared with your organisation" in secret
        assert plugin.withheld_loaded is False
        assert "database table" not in record.text


async def test_caseload_filters_by_key_worker(world: Any) -> None:
    mine = await add_person(world, "Kept", "Mine", "K100001")
    await add_person(world, "Not", "Mine", "K100002")
    referral = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": mine, "source": "self"}
    )
    episode_id = referral.json()["episode_id"]
    # The lead allocates the key worker: nobody allocates themself (issue 13).
    moved = await world.patch(
        "lm_lead",
        f"{LM}/episodes/{episode_id}",
        {"key_worker_id": str(world.users["lm_worker"].id)},
    )
    assert moved.status_code == 200, moved.text
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload", params={"key_worker": "me"})
    assert "Mine, Kept" in page.text and "Mine, Not" not in page.text
    assert "Key worker: Lm Worker" in page.text
    by_id = await world.client.get(
        f"{PAGES}/caseload", params={"key_worker": str(world.users["lm_worker"].id)}
    )
    assert "Mine, Kept" in by_id.text and "Mine, Not" not in by_id.text


async def test_a_member_of_two_partnerships_chooses_one(world: Any) -> None:
    from core.accounts.models import Membership
    from core.db.engine import make_engine, make_session_factory

    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            session.add(
                Membership(
                    tenant_id=world.tenants["leicester"].id,
                    user_id=world.users["lm_worker"].id,
                    organisation_id=world.organisations[("leicester", "turning-point")].id,
                    roles=["case_worker"],
                )
            )
            await session.commit()
    finally:
        await engine.dispose()
    await sign_in(world, "lm_worker")
    page = await world.client.get("/")
    assert page.status_code == 200
    assert "Choose a partnership" in page.text
    assert 'href="/t/leicester/caseload"' in page.text
    assert 'href="/t/low-moss/caseload"' in page.text
    assert (await world.client.get("/t/leicester/caseload")).status_code == 200


async def test_an_unexpected_failure_shows_a_reference_and_no_internals(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.web import queries

    async def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(queries, "tenant_name", broken)
    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload")
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text
    assert "quote reference" in page.text
    assert "secret internal detail" not in page.text and "RuntimeError" not in page.text


async def test_recovery_plan_actions_are_added_and_done_from_the_record(world: Any) -> None:
    person_id = await add_person(world, "Plan", "Owner", "PL10001")
    referral = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": person_id, "source": "self"}
    )
    plan = await world.post(
        "lm_worker",
        f"{LM}/plans",
        {
            "person_id": person_id,
            "episode_id": referral.json()["episode_id"],
            "goals": ["Stay well"],
            "contingency": {"overdose_prevention": "Naloxone kit on release"},
        },
    )
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    await sign_in(world, "lm_worker")
    record = await world.client.get(f"{PAGES}/persons/{person_id}")
    assert "Naloxone kit on release" in record.text and "Stay well" in record.text
    url = f"{PAGES}/persons/{person_id}/plans/{plan_id}/actions/new"
    blank = await form_post(world, url, {"description": "", "owner_organisation_id": ""})
    assert blank.status_code == 400 and 'href="#description">Enter the action' in blank.text
    org_id = world.org_id("low-moss", "sacro")
    added = await form_post(
        world, url, {"description": "Book a GP appointment", "owner_organisation_id": org_id}
    )
    assert added.status_code in (302, 303), added.text
    record = await world.client.get(added.headers["location"])
    assert "Plan action added" in record.text and "Book a GP appointment" in record.text
    action_id = re.search(r"/actions/([0-9a-f-]{36})/done", record.text).group(1)
    done = await world.client.post(
        f"{PAGES}/persons/{person_id}/plans/{plan_id}/actions/{action_id}/done",
        data={"_csrf_token": csrf_from(record.text)},
    )
    assert done.status_code in (302, 303)
    body = await world.get("lm_worker", f"{LM}/plans/{plan_id}")
    assert body.json()["actions"][0]["completed_at"] is not None


async def test_take_on_move_phase_and_decide_from_the_record(world: Any) -> None:
    person_id = await add_person(world, "Moira", "Phases", "PH10001")
    referral = await world.post(
        "lm_worker", f"{LM}/referrals", {"person_id": person_id, "source": "self"}
    )
    referral_id, episode_id = referral.json()["id"], referral.json()["episode_id"]
    await sign_in(world, "lm_worker")
    base = f"{PAGES}/persons/{person_id}"
    record = await world.client.get(base)
    # A worker may not make themself key worker (issue 13); the lead, whom the protocol
    # lets allocate themself, may. The button is offered only where it can be pressed.
    assert "Take on" not in record.text
    refused = await world.client.post(
        f"{base}/episodes/{episode_id}/key-worker", data={"_csrf_token": csrf_from(record.text)}
    )
    assert refused.status_code == 403
    await sign_in(world, "lm_lead")
    record = await world.client.get(base)
    assert "Take on" in record.text
    took = await world.client.post(
        f"{base}/episodes/{episode_id}/key-worker", data={"_csrf_token": csrf_from(record.text)}
    )
    assert took.status_code in (302, 303)
    record = await world.client.get(took.headers["location"])
    assert "You are now the key worker" in record.text and "Lm Lead" in record.text

    form = await world.client.get(f"{base}/episodes/{episode_id}/phase")
    assert 'value="assessment"' in form.text and 'value="community"' not in form.text
    closing = await form_post(world, f"{base}/episodes/{episode_id}/phase", {"to": "closed"})
    assert closing.status_code == 400
    assert 'href="#reason">Enter why the episode is closing' in closing.text
    moved = await form_post(world, f"{base}/episodes/{episode_id}/phase", {"to": "assessment"})
    assert moved.status_code in (302, 303), moved.text
    episode = await world.get("lm_worker", f"{LM}/episodes/{episode_id}")
    assert episode.json()["phase"] == "assessment"

    decide = f"{base}/referrals/{referral_id}/decide"
    missing = await form_post(world, decide, {})
    assert missing.status_code == 400 and 'href="#decision">Select the decision' in missing.text
    decided = await form_post(world, decide, {"decision": "full_support", "notes": "Agreed"})
    assert decided.status_code in (302, 303), decided.text
    again = await form_post(world, decide, {"decision": "declined"})
    assert again.status_code == 400
    assert 'href="#decision">This referral was already decided' in again.text


async def test_keep_alive_answers_only_a_signed_in_user(world: Any) -> None:
    anonymous = await world.client.get("/keep-alive")
    assert anonymous.status_code in (302, 303)
    await sign_in(world, "lm_worker")
    assert (await world.client.get("/keep-alive")).status_code == 204
    page = await world.client.get(f"{PAGES}/caseload")
    idle = world.settings.security.session_idle_minutes * 60  # what the middleware enforces
    assert f'data-idle-seconds="{idle}"' in page.text


async def test_the_api_sign_in_session_also_opens_the_pages(world: Any) -> None:
    response = await world.client.post(
        "/api/v1/auth/login", json={"username": "lm_worker", "password": PASSWORD}
    )
    assert response.status_code == 200
    page = await world.client.get(f"{PAGES}/caseload")
    assert page.status_code == 200 and "Caseload" in page.text


async def test_page_sign_in_and_sign_out_are_audited(world: Any) -> None:
    from sqlalchemy import select

    from core.audit.models import AuditEvent
    from core.db.engine import make_engine, make_session_factory

    await sign_in(world, "lm_worker")
    page = await world.client.get(f"{PAGES}/caseload")
    await world.client.post("/sign-out", data={"_csrf_token": csrf_from(page.text)})
    engine = make_engine(world.settings.db)
    try:
        async with make_session_factory(engine)() as session:
            actions = (
                await session.scalars(
                    select(AuditEvent.action)
                    .where(AuditEvent.user_id == world.users["lm_worker"].id)
                    .order_by(AuditEvent.at)
                )
            ).all()
    finally:
        await engine.dispose()
    assert actions[0] == "login" and actions[-1] == "logout"
    assert "list" in actions  # the caseload read
