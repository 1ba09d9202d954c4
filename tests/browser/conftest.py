"""The browser tests: Playwright driving Debian's Chromium against the real server.

The server is ``uvicorn core.app:create_app`` in a subprocess on a free loopback port,
on a SQLite file migrated by ``throughcare db upgrade``, with the partnerships synced
from tenants/*.toml and a small seeded dataset. Chromium is /usr/bin/chromium, which
``make install`` puts there with apt; Playwright's own browser download is never used.
Under CI a missing Chromium fails the run instead of skipping it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.outcomes.models import DOMAINS as OUTCOME_DOMAINS
from core.settings import PROJECT_ROOT
from tests.conftest import PASSWORD, make_settings, seed_world

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@dataclass
class Seeded:
    """Who and what the server starts with; the journeys look these up by name."""

    base_url: str
    tokens: dict[str, str]
    persons: dict[str, str] = field(default_factory=dict)  # family name -> id
    organisations: dict[str, str] = field(default_factory=dict)  # slug -> id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(base: str, token: str, method: str, path: str, body: Any = None) -> Any:
    import json

    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not start in 60 s:\n{log.read_text()[-3000:]}")


def seed_cases(base: str, tokens: dict[str, str]) -> dict[str, str]:
    """Three people referred today (the meeting's agenda), one for the intervention
    journey, and one with a health intervention only the NHS may read."""
    lm = "/api/v1/t/low-moss"
    persons: dict[str, str] = {}
    people = [
        ("Finlay", "Drummond", "LM100201", "1984-04-12"),
        ("Callum", "Baird", "LM100202", "1990-09-01"),
        ("Shona", "Reid", "LM100203", "1979-12-24"),
        ("Iain", "Munro", "LM100204", "1986-06-30"),
        ("Lorna", "Healey", "LM100205", "1992-03-15"),
    ]
    for given, family, number, dob in people:
        person = api(
            base,
            tokens["lm_worker"],
            "POST",
            f"{lm}/persons",
            {
                "given_name": given,
                "family_name": family,
                "date_of_birth": dob,
                "prison_number": number,
                "establishment": "HMP Low Moss",
            },
        )
        persons[family] = person["id"]
    episodes: dict[str, str] = {}
    for family in ("Baird", "Reid", "Munro"):
        referral = api(
            base,
            tokens["lm_officer"],
            "POST",
            f"{lm}/referrals",
            {"person_id": persons[family], "source": "staff_concern", "reason": "Night report"},
        )
        episodes[family] = referral["episode_id"]
    # A fuller record for Baird: a recovery plan and two outcome reviews a month apart.
    api(
        base,
        tokens["lm_worker"],
        "POST",
        f"{lm}/plans",
        {
            "person_id": persons["Baird"],
            "episode_id": episodes["Baird"],
            "goals": ["Stay on the reducing script", "Reconnect with his sister"],
            "contingency": {
                "overdose_prevention": "Naloxone kit on release; knows the signs",
                "re_engagement": "Outreach visit within 48 hours of a missed appointment",
            },
        },
    )
    today = datetime.now(UTC).date()
    for days_ago, score in ((35, 3), (2, 6)):
        api(
            base,
            tokens["lm_worker"],
            "POST",
            f"{lm}/outcome-reviews",
            {
                "person_id": persons["Baird"],
                "reviewed_on": (today - timedelta(days=days_ago)).isoformat(),
                "setting": "prison",
                **dict.fromkeys(OUTCOME_DOMAINS, score),
            },
        )
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    api(
        base,
        tokens["lm_nurse"],
        "POST",
        f"{lm}/interventions",
        {
            "person_id": persons["Healey"],
            "kind": "detox_support",
            "setting": "prison",
            "occurred_at": yesterday,
            "notes": "Started a reducing regime",
        },
    )
    return persons


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = "Chromium is not installed at /usr/bin/chromium: run `make install`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Iterator[Seeded]:
    var_dir = tmp_path_factory.mktemp("browser-server")
    db_url = f"sqlite+aiosqlite:///{var_dir / 'throughcare.db'}"
    env = {
        **os.environ,
        "THROUGHCARE_DATABASE_URL": db_url,
        "THROUGHCARE_VAR_DIR": str(var_dir),
        "THROUGHCARE_SECRET_KEY": "b" * 48,
        "THROUGHCARE_ENV": "test",
        "THROUGHCARE_LOG_LEVEL": "WARNING",
        # Every journey signs in again from 127.0.0.1 within a minute or two.
        "THROUGHCARE_LOGIN_ATTEMPTS_PER_MINUTE": "1000",
    }
    env.pop("THROUGHCARE_REDIS_URL", None)
    cli = str(Path(sys.executable).with_name("throughcare"))
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    # In a thread of its own: Playwright's sync API may already own this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        seeded = pool.submit(
            asyncio.run, seed_world(make_settings(db_url, var_dir), password_hash)
        ).result()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = var_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "core.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(base, process, log)
        persons = seed_cases(base, seeded["tokens"])
        yield Seeded(
            base_url=base,
            tokens=seeded["tokens"],
            persons=persons,
            organisations={
                slug: str(org.id)
                for (tenant, slug), org in seeded["organisations"].items()
                if tenant == "low-moss"
            },
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# Package scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and every async test after the browser tests needs it gone.
@pytest.fixture(scope="package")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, server: Seeded) -> Iterator[Any]:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, username: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # An analyst, who sees no person, lands on the reports rather than the caseload.
    page.wait_for_url(lambda url: url.endswith(("/t/low-moss/caseload", "/t/low-moss/reports")))


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        raise AssertionError("axe-core is missing from node_modules: run `make install`")
    # Evaluated through the DevTools protocol, not added as a <script>: the portal's CSP
    # (script-src 'self') rightly refuses an inline script, and the test must not relax it.
    page.evaluate(AXE.read_text() + "\n;void 0")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
