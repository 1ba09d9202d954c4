"""The housing board page: moving a registration along from a row, with and without htmx,
refusals in the GOV.UK error summary, and who may see the form or post it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from core import clock
from tests.plugins.housing_support import (
    HOUSING,
    OFFICER,
    add_member,
    add_officer,
    audit_rows,
    make_person,
    open_record,
    uid,
)

BOARD = "/t/low-moss/housing/board"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
async def pages_world(world: Any) -> Any:
    """Two people due out within ten weeks: one with Glasgow (registers before liberation),
    one with East Dunbartonshire (registers on the liberation day only)."""
    world.client.follow_redirects = False
    await add_officer(world)
    today = clock.today()
    # 60 days out, nothing started: amber (less than a fortnight to spare for four steps);
    # once the application is in, three steps need 42 days and the flag turns green.
    glasgow = await make_person(world, today + timedelta(days=60), family_name="Mackay")
    onday = await make_person(world, today + timedelta(days=20), family_name="Lennox")
    for person, authority in (
        (glasgow, "glasgow-city-council"),
        (onday, "east-dunbartonshire-council"),
    ):
        response = await open_record(world, person, authority)
        assert response.status_code == 201, response.text
    world.glasgow, world.onday = glasgow, onday
    world.gcc = world.org_id("low-moss", "glasgow-city-council")
    return world


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def row_of(html: str, person_id: str) -> str:
    start = html.index(f'id="row-{person_id}"')
    return html[start : html.index("</tr>", start)]


def move_form(token: str, status: str, **extra: str) -> dict[str, str]:
    today = clock.today()
    return {
        "_csrf_token": token,
        "status": status,
        "on_date-day": str(today.day),
        "on_date-month": str(today.month),
        "on_date-year": str(today.year),
        "note": "",
        "weeks": "10",
        "authority": "",
        **extra,
    }


async def post_form(
    world: Any, username: str, url: str, data: dict[str, str], *, htmx: bool = False
) -> Any:
    headers = world.auth(username)
    if htmx:
        headers["HX-Request"] = "true"
    return await world.client.post(url, data=data, headers=headers)


async def status_of(world: Any, person_id: str) -> str:
    response = await world.get(OFFICER, f"{HOUSING}/persons/{person_id}")
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def test_the_officer_moves_a_registration_along_without_javascript(pages_world: Any) -> None:
    world, person = pages_world, pages_world.glasgow
    page = await world.get(OFFICER, BOARD, params={"weeks": 10, "authority": world.gcc})
    assert page.status_code == 200, page.text
    row = row_of(page.text, person)
    assert f'action="{BOARD}/{person}/step"' in row
    # The next step along the pipeline is offered first, dated today unless changed.
    options = re.findall(r'<option value="([a-z_]+)"', row)
    assert options == ["application_submitted", "no_fixed_abode"]
    assert f'value="{clock.today().year}"' in row
    assert 'data-rag="amber"' in row and ">Amber</strong>" in row

    moved = await post_form(
        world,
        OFFICER,
        f"{BOARD}/{person}/step",
        data=move_form(
            csrf_from(page.text), "application_submitted", authority=world.gcc, note="Sent by post"
        ),
    )
    assert moved.status_code == 303, moved.text
    assert moved.headers["location"] == (
        f"{BOARD}?weeks=10&authority={world.gcc}&moved={person}#row-{person}"
    )
    assert await status_of(world, person) == "application_submitted"
    record = (await world.get(OFFICER, f"{HOUSING}/persons/{person}")).json()
    assert [(s["to_status"], s["note"]) for s in record["steps"]][-1] == (
        "application_submitted",
        "Sent by post",
    )
    updates = await audit_rows(world, record_type="housing_record", action="update")
    assert [(e.person_id, e.detail["to"]) for e in updates] == [
        (uid(person), "application_submitted")
    ]

    back = await world.get(OFFICER, moved.headers["location"].split("#")[0])
    assert "govuk-notification-banner--success" in back.text
    assert "Registration for Alex Mackay moved to application submitted" in back.text
    row = row_of(back.text, person)
    assert 'data-status="application_submitted"' in row
    assert 'data-rag="green"' in row and ">Green</strong>" in row
    assert re.findall(r'<option value="([a-z_]+)"', row) == ["registered", "no_fixed_abode"]
    # The filters the officer had are still applied.
    assert 'value="10"' in back.text and f'<option value="{world.gcc}" selected>' in back.text
    assert f'id="row-{world.onday}"' not in back.text


async def test_htmx_swaps_the_board_in_place(pages_world: Any) -> None:
    world, person = pages_world, pages_world.glasgow
    page = await world.get(OFFICER, BOARD)
    response = await post_form(
        world,
        OFFICER,
        f"{BOARD}/{person}/step",
        data=move_form(csrf_from(page.text), "application_submitted"),
        htmx=True,
    )
    assert response.status_code == 200, response.text
    # Only the board's region, not the whole page.
    assert response.text.lstrip().startswith('<div id="housing-board">')
    assert "<html" not in response.text
    assert "Registration for Alex Mackay moved to application submitted" in response.text
    assert 'data-rag="green"' in row_of(response.text, person)
    assert await status_of(world, person) == "application_submitted"


async def test_a_refused_move_shows_the_services_message_and_keeps_the_filters(
    pages_world: Any,
) -> None:
    world, person = pages_world, pages_world.onday
    ed = world.org_id("low-moss", "east-dunbartonshire-council")
    page = await world.get(OFFICER, BOARD, params={"weeks": 10, "authority": ed})
    token = csrf_from(page.text)
    form = move_form(token, "application_submitted", authority=ed, note="Papers ready")
    refused = await post_form(world, OFFICER, f"{BOARD}/{person}/step", data=form)
    assert refused.status_code == 400, refused.text
    text = refused.text
    assert "<title>Error: Housing board" in text
    summary = text[text.index('class="govuk-error-summary"') : text.index("<h1")]
    message = (
        "East Dunbartonshire Council registers people for housing only on their liberation day"
    )
    assert message in summary
    assert f'href="#row-{person}-on_date"' in summary
    row = row_of(text, person)
    assert f'id="row-{person}-on_date-error"' in row
    assert '<details class="govuk-details govuk-!-margin-bottom-3" open>' in row
    assert "Papers ready</textarea>" in row  # what was typed is kept
    # The filters survive the refusal.
    assert 'name="weeks" type="number" min="1" max="52" value="10"' in text
    assert f'<option value="{ed}" selected>' in text
    assert f'id="row-{world.glasgow}"' not in text
    assert await status_of(world, person) == "not_started"

    with_htmx = await post_form(world, OFFICER, f"{BOARD}/{person}/step", data=form, htmx=True)
    assert with_htmx.status_code == 200
    assert with_htmx.text.lstrip().startswith('<div id="housing-board">')
    assert message in with_htmx.text and "govuk-notification-banner" not in with_htmx.text


async def test_an_unreal_date_and_an_unknown_status_are_field_errors(pages_world: Any) -> None:
    world, person = pages_world, pages_world.glasgow
    token = csrf_from((await world.get(OFFICER, BOARD)).text)
    bad_date = move_form(
        token, "application_submitted", **{"on_date-day": "31", "on_date-month": "2"}
    )
    response = await post_form(world, OFFICER, f"{BOARD}/{person}/step", data=bad_date)
    assert response.status_code == 400
    assert "The date of this step must be a real date" in response.text
    assert f'href="#row-{person}-on_date"' in response.text
    future = clock.today() + timedelta(days=1)
    tomorrow = move_form(
        token,
        "application_submitted",
        **{
            "on_date-day": str(future.day),
            "on_date-month": str(future.month),
            "on_date-year": str(future.year),
        },
    )
    response = await post_form(world, OFFICER, f"{BOARD}/{person}/step", data=tomorrow)
    assert response.status_code == 400
    assert "A step cannot be dated in the future" in response.text
    response = await post_form(
        world, OFFICER, f"{BOARD}/{person}/step", data=move_form(token, "teleported")
    )
    assert response.status_code == 400
    assert f'href="#row-{person}-status">Select where the registration moves to' in response.text
    assert await status_of(world, person) == "not_started"


async def test_a_reader_sees_the_status_without_a_form_and_cannot_forge_a_post(
    pages_world: Any,
) -> None:
    world, person = pages_world, pages_world.glasgow
    # The partnership lead reads housing across the partnership but does not write it.
    page = await world.get("lm_lead", BOARD)
    assert page.status_code == 200, page.text
    row = row_of(page.text, person)
    assert 'data-status="not_started"' in row and ">Amber</strong>" in row
    assert "<form" not in page.text[page.text.index("<table") :]
    forged = await post_form(
        world,
        "lm_lead",
        f"{BOARD}/{person}/step",
        data=move_form(csrf_from(page.text), "application_submitted"),
    )
    assert forged.status_code == 403
    assert "Traceback" not in forged.text
    assert await status_of(world, person) == "not_started"
    denials = await audit_rows(world, action="deny", person_id=uid(person))
    assert [d.detail["action"] for d in denials] == ["write"]


async def test_a_move_needs_the_csrf_token(pages_world: Any) -> None:
    world, person = pages_world, pages_world.glasgow
    await world.get(OFFICER, BOARD)
    form = move_form("", "application_submitted")
    del form["_csrf_token"]
    response = await post_form(world, OFFICER, f"{BOARD}/{person}/step", data=form)
    assert response.status_code == 403
    assert "this form has expired" in response.text
    assert await status_of(world, person) == "not_started"


async def test_other_partnerships_and_partnerships_without_housing_get_404(
    pages_world: Any,
) -> None:
    world, person = pages_world, pages_world.glasgow
    token = csrf_from((await world.get(OFFICER, BOARD)).text)
    form = move_form(token, "application_submitted")
    assert (await world.get("lc_worker", BOARD)).status_code == 404
    leicester = await post_form(world, "lc_worker", f"{BOARD}/{person}/step", data=form)
    assert leicester.status_code == 404
    # Leicester's own board does not know a Low Moss person either.
    own = await post_form(
        world, "lc_worker", f"/t/leicester/housing/board/{person}/step", data=form
    )
    assert own.status_code == 404
    await add_member(world, "perth_lead", "hmp-perth", "sps-perth", ["partnership_lead"])
    assert (await world.get("perth_lead", "/t/hmp-perth/housing/board")).status_code == 404
    perth = await post_form(
        world, "perth_lead", f"/t/hmp-perth/housing/board/{person}/step", data=form
    )
    assert perth.status_code == 404
    assert await status_of(world, person) == "not_started"


async def test_the_record_page_panel_uses_a_summary_list_under_the_pages_heading(
    pages_world: Any,
) -> None:
    world, person = pages_world, pages_world.glasgow
    page = await world.get(OFFICER, f"/t/low-moss/persons/{person}")
    assert page.status_code == 200, page.text
    section = page.text[page.text.index('id="panel-housing"') :]
    section = section[: section.index("</section>")]
    assert section.count("<h2") == 0  # the page's own heading is the only one
    assert 'class="govuk-summary-list"' in section
    assert "Glasgow City Council" in section
    assert ">Amber</strong>" in section
    assert 'href="/t/low-moss/housing/board"' in section


# ------------------------------------------- the other partners' panels, rendered with data
# The record page shows "unavailable" when a panel fails to render, so a template error
# would pass unseen there: each panel is rendered here with what its loader returns.


def render_panel(world: Any, template: str, **context: Any) -> str:
    engine = world.client.app.template_engine
    return str(engine.get_template(template).render(**context, actor=None))


async def test_the_partner_panels_render_as_summary_lists(world: Any) -> None:
    from datetime import UTC, date, datetime
    from uuid import uuid4

    from plugins.family_support.schemas import ContactOut
    from plugins.harm_reduction.schemas import HarmReductionSummary
    from plugins.peer_mentoring.schemas import GateAppointmentOut, MentorOut

    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    person = uuid4()
    family = render_panel(
        world,
        "family_support/person_panel.html",
        contacts=[
            ContactOut(
                id=uuid4(),
                person_id=person,
                name="Margaret Reid",
                relationship="mother",
                phone="0141 496 0000",
                consent_id=uuid4(),
                organisation_id=uuid4(),
                recorded_by=None,
                created_at=now,
            )
        ],
        next_family_day=date(2026, 12, 4),
    )
    assert 'class="govuk-summary-list__key">Margaret Reid</dt>' in family
    assert "Mother<br>0141 496 0000" in family and "4 December 2026</time>" in family
    assert "No family contacts" in render_panel(
        world, "family_support/person_panel.html", contacts=[], next_family_day=None
    )

    peer = render_panel(
        world,
        "peer_mentoring/person_panel.html",
        mentor=MentorOut(
            id=uuid4(),
            user_id=None,
            name="Davie Boyd",
            organisation_id=uuid4(),
            lived_experience=True,
            vetting_status="vetted",
            vetted_on=None,
            availability=None,
            is_active=True,
            created_at=now,
        ),
        gate_appointment=GateAppointmentOut(
            id=uuid4(),
            person_id=person,
            mentor_id=None,
            liberation_date=date(2026, 11, 27),
            meet_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
            status="planned",
            created_at=now,
        ),
    )
    assert "Davie Boyd (lived experience)" in peer
    assert "27 November 2026 at 8:00am</time>, planned" in peer

    def summary(**fields: Any) -> HarmReductionSummary:
        base: dict[str, Any] = {
            "person_id": person,
            "overdose_risk": None,
            "risk_until": None,
            "naloxone_kits": None,
            "last_naloxone_supply": None,
            "trained": None,
            "last_test_at": None,
            "last_test_result": None,
            "positive_tests": None,
            "restricted": [],
        }
        return HarmReductionSummary(**(base | fields))

    harm = render_panel(
        world,
        "harm_reduction/person_panel.html",
        summary=summary(
            overdose_risk=True,
            risk_until=date(2026, 12, 7),
            naloxone_kits=2,
            trained=True,
            last_test_at=now,
            last_test_result="positive",
            restricted=["substance_use"],
        ),
    )
    assert "govuk-warning-text" in harm and "until 7 December 2026" in harm
    assert "2, trained to use it" in harm and "Positive, 23 November 2026" in harm
    assert "Not shared with your organisation: substance use." in harm
    empty = render_panel(world, "harm_reduction/person_panel.html", summary=summary())
    assert "Nothing recorded yet." in empty and "govuk-summary-list" not in empty
    for html in (family, peer, harm):
        assert "<h2" not in html and "<section" not in html
