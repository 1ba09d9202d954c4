"""The pages a worker opens on a phone: no sideways scroll at 375 and 320 px, tables as
stacked rows, nothing cut off, axe clean; and what a printed page carries (issue 12)."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from core.outcomes.models import DOMAINS as OUTCOME_DOMAINS
from tests.browser.conftest import Seeded, api, axe_violations, screenshot, sign_in

LM = "/api/v1/t/low-moss"
WIDTHS = (375, 320)
# A purpose with a long unbroken token, the kind that pushes a table cell wider than a phone.
LONG_PURPOSE = (
    "Continuity of care with the community alcohol and drug recovery service, see "
    "https://example.org/referrals/community-recovery-service/aftercare-and-throughcare"
)

# The elements on the page that reach past the right edge of the window: what a reader
# would find cut off or have to scroll sideways for. Visually-hidden content (inside a
# 1px clipped box, like a stacked table's headers) is skipped.
OVERFLOWING = """() => {
    const limit = document.documentElement.clientWidth + 1;
    const hidden = (el) => {
        for (let a = el; a && a !== document.body; a = a.parentElement) {
            const r = a.getBoundingClientRect();
            if (r.width <= 1 || r.height <= 1) return true;
        }
        return false;
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.right <= limit || hidden(el)) continue;
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || style.display === 'none') continue;
        const name = el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || '').trim();
        const text = (el.textContent || '').trim().slice(0, 40);
        out.push(name + ' right=' + Math.round(r.right) + ' "' + text + '"');
    }
    return out.slice(0, 8);
}"""


# For each table on the page: how its first row is shown, and whether its labelled cells
# show their column's name. A table squeezed into the width (words broken to fit) passes
# the scroll check but fails this one.
TABLES = """() => [...document.querySelectorAll('main table.govuk-table')]
    .filter((t) => t.tBodies.length && t.tBodies[0].rows.length)
    .map((t) => {
        const row = t.tBodies[0].rows[0];
        // A row header is the card's title and carries no label of its own.
        const cells = [...row.cells].filter((c) => c.dataset.label && c.scope !== 'row');
        const labelled = cells.every((c) => getComputedStyle(c, '::before').content !== 'none');
        return (t.caption ? t.caption.textContent.trim() : '(no caption)') + ': '
            + getComputedStyle(row).display + (labelled ? '' : ', unlabelled');
    })"""


@pytest.fixture(scope="module")
def rich_person(server: Seeded) -> str:
    """A record with something in every table: consent given and one withdrawn, referrals
    decided and not, a plan with actions, outcome reviews and an intervention."""
    base, worker = server.base_url, server.tokens["lm_worker"]
    release = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    person = api(
        base,
        worker,
        "POST",
        f"{LM}/persons",
        {
            "given_name": "Alexandrina-Catriona",
            "family_name": "Macgillivray-Fotheringham",
            "date_of_birth": "1983-02-17",
            "prison_number": "LM188801",
            "establishment": "HMP Low Moss",
            "liberation_date": release,
        },
    )
    pid = person["id"]
    first = api(
        base,
        server.tokens["lm_officer"],
        "POST",
        f"{LM}/referrals",
        {"person_id": pid, "source": "staff_concern", "reason": "Night report: low mood"},
    )
    api(
        base,
        worker,
        "POST",
        f"{LM}/referrals/{first['id']}/decision",
        {"decision": "full_support"},
    )
    api(
        base,
        server.tokens["lm_officer"],
        "POST",
        f"{LM}/referrals",
        {"person_id": pid, "source": "positive_drug_test", "reason": "Positive test"},
    )
    api(
        base,
        worker,
        "POST",
        f"{LM}/plans",
        {
            "person_id": pid,
            "episode_id": first["episode_id"],
            "goals": ["Stay on the reducing script", "Find a tenancy before liberation"],
            "contingency": {"overdose_prevention": "Naloxone kit on release; knows the signs"},
        },
    )
    for category in ("health", "housing"):
        consent = api(
            base,
            worker,
            "POST",
            f"{LM}/persons/{pid}/consents",
            {
                "category": category,
                "purpose": LONG_PURPOSE,
                "lawful_basis": "consent",
                "recipient_kind": "third_sector",
            },
        )
    api(
        base,
        worker,
        "POST",
        f"{LM}/persons/{pid}/consents/{consent['id']}/withdraw",
        {"reason": "Changed his mind"},
    )
    today = datetime.now(UTC).date()
    for days_ago, score in ((30, 2), (1, 5)):
        api(
            base,
            worker,
            "POST",
            f"{LM}/outcome-reviews",
            {
                "person_id": pid,
                "reviewed_on": (today - timedelta(days=days_ago)).isoformat(),
                "setting": "prison",
                **dict.fromkeys(OUTCOME_DOMAINS, score),
            },
        )
    return str(pid)


def add_tasks(tmp_path_factory: pytest.TempPathFactory, person_id: str) -> None:
    """Two tasks on the worker's list, written where the reminder jobs write them (the
    jobs run daily, too seldom for a test to wait for)."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from core.accounts.models import User
    from core.notifications.services import notify
    from core.tenancy.models import Tenant

    (db_file,) = tmp_path_factory.getbasetemp().glob("browser-server[0-9]*/throughcare.db")

    async def go() -> None:
        engine = create_async_engine(f"sqlite+aiosqlite:///{db_file}")
        try:
            async with AsyncSession(engine) as session:
                tenant = await session.scalar(select(Tenant).where(Tenant.slug == "low-moss"))
                user = await session.scalar(select(User).where(User.username == "lm_worker"))
                assert tenant is not None and user is not None
                today = datetime.now(UTC).date()
                for kind, title, days in (
                    ("assessment_due", "Comprehensive assessment overdue", -3),
                    ("outcome_review_due", "Monthly outcome review due", 6),
                ):
                    await notify(
                        session,
                        tenant.id,
                        [user.id],
                        kind=kind,
                        title=title,
                        link=f"/t/low-moss/persons/{person_id}",
                        key=f"small-screens:{kind}:{person_id}",
                        due_date=today + timedelta(days=days),
                        person_id=uuid.UUID(person_id),
                    )
                await session.commit()
        finally:
            await engine.dispose()

    # In a thread of its own: Playwright's sync API owns this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, go()).result()


@pytest.fixture(scope="module")
def meeting(server: Seeded, rich_person: str) -> str:
    """A complex-case meeting about the rich person, with an attendee and an action."""
    base, worker = server.base_url, server.tokens["lm_worker"]
    held = api(base, worker, "POST", f"{LM}/meetings", {"kind": "complex_case"})
    org = server.organisations["turning-point-scotland"]
    api(
        base,
        worker,
        "POST",
        f"{LM}/meetings/{held['id']}/attendees",
        {"organisation_id": org, "name": "Morag Fitzgerald-Henderson"},
    )
    item = api(
        base,
        worker,
        "POST",
        f"{LM}/meetings/{held['id']}/items",
        {"person_id": rich_person, "reason": "Low mood since the positive test"},
    )
    api(
        base,
        worker,
        "POST",
        f"{LM}/meetings/{held['id']}/actions",
        {
            "description": "Book a GP appointment for the week after liberation",
            "owner_organisation_id": org,
            "item_id": item["id"],
        },
    )
    return str(held["id"])


@pytest.fixture(scope="module")
def seeded_pages(
    tmp_path_factory: pytest.TempPathFactory, rich_person: str, meeting: str
) -> dict[str, str]:
    add_tasks(tmp_path_factory, rich_person)
    return {"rich": rich_person, "meeting": meeting}


# (name, who, path, has tables): path may name the rich person as {rich}, the meeting as
# {meeting}. The meeting's cards are summary cards, not tables; the daily agenda is a table
# until today's meeting is started (other journeys may start it), then None: either.
PAGES = [
    ("caseload", "lm_worker", "/t/low-moss/caseload?people=all", True),
    ("record", "lm_worker", "/t/low-moss/persons/{rich}", True),
    ("access-history", "lm_worker", "/t/low-moss/persons/{rich}/access-history", True),
    ("tasks", "lm_worker", "/t/low-moss/tasks", True),
    ("meeting-agenda", "lm_worker", "/t/low-moss/meeting", None),
    ("meeting", "lm_worker", "/t/low-moss/meetings/{meeting}", False),
    ("reports", "lm_analyst", "/t/low-moss/reports", True),
]


def narrow_page(browser: Any, server: Seeded, width: int) -> Any:
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": width, "height": 740}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "who", "path", "has_tables"), PAGES, ids=[p[0] for p in PAGES])
def test_no_sideways_scroll_on_a_phone(
    browser: Any,
    server: Seeded,
    seeded_pages: dict[str, str],
    name: str,
    who: str,
    path: str,
    has_tables: bool | None,
    width: int,
) -> None:
    tab = narrow_page(browser, server, width)
    try:
        sign_in(tab, who)
        tab.goto(path.format(**seeded_pages))
        tab.wait_for_load_state("networkidle")
        screenshot(tab, f"small-{name}-{width}")
        assert tab.evaluate(OVERFLOWING) == [], f"{name} at {width}px"
        scroll_width = tab.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} at {width}px is {scroll_width}px wide"
        tables = tab.evaluate(TABLES)
        if has_tables is not None:
            assert bool(tables) == has_tables, f"{name}: {tables}"
        assert [t for t in tables if not t.endswith(": block")] == [], f"{name} at {width}px"
        violations = axe_violations(tab)
        assert violations == [], f"{name} at {width}px: {violations}"
    finally:
        tab.context.close()


def test_a_printed_record_carries_the_marking_and_who_printed_it(
    page: Any, server: Seeded, rich_person: str
) -> None:
    sign_in(page, "lm_worker")
    page.goto(f"/t/low-moss/persons/{rich_person}")
    banner = page.locator("#print-banner")
    # On screen the marking is not shown: the service's own header identifies the page.
    expect(banner).to_be_hidden()
    expect(page.locator(".govuk-header")).to_be_visible()

    page.emulate_media(media="print")
    expect(banner).to_be_visible()
    expect(banner.locator(".app-protective-marking")).to_have_text("OFFICIAL-SENSITIVE")
    printed = banner.locator(".app-printed-by")
    expect(printed).to_be_visible()
    expect(printed).to_have_text(
        re.compile(r"^Printed by Lm Worker, .+ on \d{1,2} \w+ \d{4} at \d{1,2}:\d\d[ap]m$")
    )
    expect(page.locator("#print-footer")).to_contain_text("OFFICIAL-SENSITIVE")
    expect(page.locator("#print-footer")).to_be_visible()
    # The chrome and the controls stay on the screen: no navigation, sign-out or buttons.
    for chrome in (".govuk-header", ".govuk-service-navigation", ".govuk-footer"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.locator("main .govuk-button").first).to_be_hidden()
    # The record itself prints, with the portal's own link addresses left off the paper.
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    after = page.locator("main a.govuk-link[href^='/']").first.evaluate(
        "a => getComputedStyle(a, '::after').content"
    )
    assert after in ("none", "normal"), after
    screenshot(page, "print-record")

    page.emulate_media(media="screen")
    expect(banner).to_be_hidden()


def test_a_page_printed_a_while_after_it_was_opened_says_when_it_was_printed(
    page: Any, server: Seeded, rich_person: str
) -> None:
    sign_in(page, "lm_worker")
    page.clock.install()
    page.goto(f"/t/low-moss/persons/{rich_person}")
    when = page.locator(".app-printed-by time")
    served = datetime.strptime(when.inner_text(), "%d %B %Y at %I:%M%p")
    # Twenty minutes: longer and the session-timeout script rightly signs the reader out.
    page.clock.fast_forward("20:00")
    page.emulate_media(media="print")
    later = served + timedelta(minutes=20)
    # The minute may have turned over while the page loaded.
    expected = [
        f"{t.day} {t:%B %Y} at {t.hour % 12 or 12}:{t:%M}{'am' if t.hour < 12 else 'pm'}"
        for t in (later, later + timedelta(minutes=1))
    ]
    expect(when).to_have_text(re.compile("^(" + "|".join(map(re.escape, expected)) + ")$"))


def test_the_caseload_prints_as_a_table_without_its_filters(page: Any, server: Seeded) -> None:
    sign_in(page, "lm_worker")
    page.goto("/t/low-moss/caseload?people=all")
    page.emulate_media(media="print")
    expect(page.locator("#print-banner")).to_contain_text("OFFICIAL-SENSITIVE")
    expect(page.get_by_role("search")).to_be_hidden()
    table = page.locator("main table.govuk-table")
    expect(table).to_be_visible()
    # Paper is wider than a phone: the rows print as a table, its headers showing.
    expect(table.locator("thead th").first).to_be_visible()
    assert table.evaluate("t => getComputedStyle(t).display") == "table"


def test_without_javascript_the_record_still_does_not_scroll_sideways(
    browser: Any, server: Seeded, rich_person: str
) -> None:
    """Tables the template labelled still stack; the others wrap their text to fit or, if
    they cannot, scroll inside their own box."""
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": 320, "height": 740}, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        sign_in(tab, "lm_worker")
        tab.goto(f"/t/low-moss/persons/{rich_person}")
        screenshot(tab, "small-record-no-js-320")
        scroll_width = tab.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 320, f"the record without JavaScript is {scroll_width}px wide"
        tables = tab.locator("main table.govuk-table")
        assert tables.count() > 0
        for i in range(tables.count()):
            box = tables.nth(i).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 321, i
    finally:
        context.close()


def test_every_page_in_the_navigation_fits_a_phone(browser: Any, server: Seeded) -> None:
    """Core's pages and every enabled plugin's, as the partnership lead sees the menu, at
    320 px: the stylesheet's rules hold for pages it was not written against."""
    tab = narrow_page(browser, server, 320)
    try:
        sign_in(tab, "lm_lead")
        links = tab.locator("#navigation a").evaluate_all("els => els.map(e => e.pathname)")
        assert len(links) >= 3
        wide = {}
        for path in links:
            response = tab.goto(path)
            assert response is not None and response.status == 200, path
            tab.wait_for_load_state("networkidle")
            screenshot(tab, "small-nav" + path.replace("/", "-"))
            scroll_width = tab.evaluate("document.documentElement.scrollWidth")
            overflowing = tab.evaluate(OVERFLOWING)
            if scroll_width > 320 or overflowing:
                wide[path] = (scroll_width, overflowing)
        assert wide == {}
    finally:
        tab.context.close()
