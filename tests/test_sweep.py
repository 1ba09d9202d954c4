"""The cross-tenant and withheld-category sweep: every route of the app (API and pages),
asked by every user of the test world, with the records of every tenant.

- A user asking under another tenant's slug, or with another tenant's record ids in their
  own tenant's URLs, gets 404 (reads) or a refusal (writes), and no body ever carries a
  seeded marker of the other tenant's records.
- A user's answers never carry the marker of a category withheld from them (read from the
  person's own ``readable`` list), nor anything of a person they cannot see at all.

Bounded by count and time (THROUGHCARE_SWEEP_CASES, THROUGHCARE_SWEEP_SECONDS); the counts
are printed (`-s`) and every case that ran is counted.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from core.outcomes.models import DOMAINS as OUTCOME_DOMAINS
from core.vocabulary import RECORD_CATEGORIES
from tests.conftest import WORLD_USERS, World

pytestmark = pytest.mark.sweep

MAX_CASES = int(os.environ.get("THROUGHCARE_SWEEP_CASES", "20000"))
BUDGET_SECONDS = float(os.environ.get("THROUGHCARE_SWEEP_SECONDS", "300"))
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
WRITES = ("POST", "PATCH", "PUT", "DELETE")
# Signing out revokes the token the rest of the sweep signs in with; the rest are not a
# tenant's records (static files, the description, health).
SKIP_PREFIXES = ("/static", "/schema", "/api/v1/auth/logout", "/sign-out", "/health")


@dataclass
class Seeded:
    """One tenant's records: ids by path-parameter name, and markers no other data has."""

    tenant: str
    ids: dict[str, str] = field(default_factory=dict)
    person_markers: list[str] = field(default_factory=list)  # name, prison number
    category_markers: dict[str, str] = field(default_factory=dict)  # note -> category


@dataclass
class Tally:
    cases: int = 0
    leaks: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    stopped: str = ""

    def count(self, kind: str) -> None:
        self.cases += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


def marker(label: str) -> str:
    return f"Sweep{label}{secrets.token_hex(4)}"


async def created(world: World, user: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await world.post(user, url, body)
    assert response.status_code == 201, f"{url}: {response.text}"
    return response.json()


async def seed_tenant(
    world: World, tenant: str, worker: str, officer: str, nurse: str | None
) -> Seeded:
    base = f"/api/v1/t/{tenant}"
    seeded = Seeded(tenant=tenant)
    family = marker("Family")
    number = marker("No")
    person = await created(
        world,
        worker,
        f"{base}/persons",
        {
            "given_name": marker("Given"),
            "family_name": family,
            "date_of_birth": "1983-05-06",
            "prison_number": number[:20],
        },
    )
    seeded.person_markers += [family, number[:20]]
    seeded.ids["person_id"] = person["id"]
    referral = await created(
        world,
        officer,
        f"{base}/referrals",
        {"person_id": person["id"], "source": "staff_concern", "reason": marker("Reason")},
    )
    seeded.ids["referral_id"] = referral["id"]
    seeded.ids["episode_id"] = referral["episode_id"]
    kinds = [(worker, "one_to_one", "case_notes"), (worker, "group_work", "substance_use")]
    if nurse:
        kinds.append((nurse, "detox_support", "health"))
    for user, kind, category in kinds:
        note = marker(category.title().replace("_", ""))
        intervention = await created(
            world,
            user,
            f"{base}/interventions",
            {
                "person_id": person["id"],
                "kind": kind,
                "setting": "prison",
                "occurred_at": "2026-01-05T10:00:00Z",
                "notes": note,
            },
        )
        seeded.category_markers[note] = category
        seeded.ids.setdefault("intervention_id", intervention["id"])
    plan = await created(
        world,
        worker,
        f"{base}/plans",
        {"person_id": person["id"], "episode_id": referral["episode_id"], "goals": ["Goal"]},
    )
    seeded.ids["plan_id"] = plan["id"]
    review = await created(
        world,
        worker,
        f"{base}/outcome-reviews",
        {
            "person_id": person["id"],
            "reviewed_on": "2026-01-06",
            "setting": "prison",
            "notes": marker("Review"),
            **dict.fromkeys(OUTCOME_DOMAINS, 4),
        },
    )
    seeded.ids["review_id"] = review["id"]
    seeded.category_markers[review["notes"]] = RECORD_CATEGORIES["outcome_review"]
    return seeded


def routes(world: World) -> list[tuple[str, str, list[str]]]:
    """(method, path format, path parameters) of every tenant route, API and pages."""
    found: set[tuple[str, str, tuple[str, ...]]] = set()
    for route in world.client.app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIP_PREFIXES):
            continue
        if "{tenant" not in route.path:
            continue
        names = tuple(PARAM.findall(route.path))
        for method in route.methods:
            if method in ("OPTIONS", "HEAD"):
                continue
            if method in WRITES and not route.path.startswith("/api/"):
                continue  # page forms need the session's CSRF token: refused before any read
            found.add((method, route.path, names))
    return [(m, p, list(n)) for m, p, n in sorted(found)]


def url_for(path: str, tenant: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "tenant":
            return tenant
        if name == "version":
            return "1"
        return ids.get(name) or str(uuid.uuid4())

    return PARAM.sub(fill, path)


def refused(method: str, status: int) -> bool:
    """A read of another tenant's record is 404, exactly as if it did not exist; a write
    may fail earlier (its empty body does not decode) but never succeeds."""
    return status == 404 if method == "GET" else 400 <= status < 500


def leaked(body: str, markers: list[str]) -> list[str]:
    return [m for m in markers if m in body]


async def ask(world: World, user: str, method: str, url: str) -> Any:
    headers = world.auth(user)
    if method == "GET":
        return await world.client.get(url, headers=headers)
    return await world.client.request(method, url, json={}, headers=headers)


async def test_no_route_crosses_a_tenant_or_shows_a_withheld_category(world: World) -> None:
    started = time.monotonic()
    tally = Tally()
    low_moss = await seed_tenant(world, "low-moss", "lm_worker", "lm_officer", "lm_nurse")
    leicester = await seed_tenant(world, "leicester", "lc_worker", "lc_worker", None)
    tenants = {"low-moss": low_moss, "leicester": leicester}
    users = list(WORLD_USERS)
    all_routes = routes(world)
    assert len(all_routes) >= 100, "the sweep found too few routes to mean anything"

    def others(user: str) -> list[Seeded]:
        home = WORLD_USERS[user]
        return [s for t, s in tenants.items() if home is None or home[0] != t]

    def budget_left() -> bool:
        if tally.cases >= MAX_CASES:
            tally.stopped = f"case limit {MAX_CASES}"
        elif time.monotonic() - started > BUDGET_SECONDS:
            tally.stopped = f"time limit {BUDGET_SECONDS:.0f} s"
        return not tally.stopped

    # What each member may see of their own tenant's person, from the record itself.
    withheld: dict[str, list[str]] = {}
    for user in users:
        home = WORLD_USERS[user]
        if home is None:
            continue
        own = tenants.get(home[0])
        if own is None:
            continue
        record = await world.get(user, f"/api/v1/t/{own.tenant}/persons/{own.ids['person_id']}")
        if record.status_code == 404:
            withheld[user] = own.person_markers + list(own.category_markers)
        else:
            assert record.status_code == 200, record.text
            readable = set(record.json()["readable"])
            withheld[user] = [n for n, c in own.category_markers.items() if c not in readable]

    for method, path, names in all_routes:
        for user in users:
            if not budget_left():
                break
            home = WORLD_USERS[user]
            for other in others(user):
                foreign = other.person_markers + list(other.category_markers)
                # 1. The other tenant's URL, with its own ids.
                url = url_for(path, other.tenant, other.ids)
                response = await ask(world, user, method, url)
                tally.count("other tenant's URL")
                if method == "GET" and response.status_code == 400:
                    # Parameters are checked before the tenant gate: no oracle as long as
                    # a partnership that does not exist gets the very same answer.
                    nowhere = await ask(world, user, method, url_for(path, "no-such", other.ids))
                    tally.count("refused before the tenant gate")
                    # (the message repeats the path asked for, slug included)
                    echoed = response.text.replace(other.tenant, "no-such")
                    if (nowhere.status_code, nowhere.text) != (400, echoed):
                        tally.leaks.append(f"{user} {method} {url}: 400 differs from no tenant")
                elif not refused(method, response.status_code):
                    tally.leaks.append(f"{user} {method} {url}: {response.status_code}")
                if found := leaked(response.text, foreign):
                    tally.leaks.append(f"{user} {method} {url}: body has {found}")
                # 2. The user's own tenant's URL, with the other tenant's ids.
                if home is None or len(names) < 2:
                    continue
                url = url_for(path, home[0], other.ids)
                response = await ask(world, user, method, url)
                tally.count("other tenant's ids")
                ids_in_path = [n for n in names if n in other.ids]
                if ids_in_path and not refused(method, response.status_code):
                    tally.leaks.append(f"{user} {method} {url}: {response.status_code}")
                if found := leaked(response.text, foreign):
                    tally.leaks.append(f"{user} {method} {url}: body has {found}")
            # 3. The user's own tenant, own ids: nothing withheld from them in any answer.
            if method != "GET" or home is None or home[0] not in tenants:
                continue
            own = tenants[home[0]]
            url = url_for(path, own.tenant, own.ids)
            response = await ask(world, user, method, url)
            tally.count("withheld category")
            if response.status_code >= 500:
                tally.leaks.append(f"{user} {method} {url}: {response.status_code}")
            if found := leaked(response.text, withheld.get(user, [])):
                tally.leaks.append(f"{user} {method} {url}: withheld {found}")
            # The same list with the person named in the query: the filter, not the path.
            if len(names) == 1:
                response = await world.get(
                    user, url, params={"person_id": own.ids["person_id"], "limit": 100}
                )
                tally.count("withheld category")
                if found := leaked(response.text, withheld.get(user, [])):
                    tally.leaks.append(f"{user} GET {url}?person_id: withheld {found}")

    elapsed = time.monotonic() - started
    print(
        f"\nsweep: {len(all_routes)} routes x {len(users)} users x {len(tenants)} tenants: "
        f"{tally.cases} cases {tally.by_kind}, {len(tally.leaks)} leaks, {elapsed:.1f} s"
        + (f", stopped at the {tally.stopped}" if tally.stopped else "")
    )
    print(f"  withheld markers per user: { {u: len(m) for u, m in withheld.items()} }")
    for leak in tally.leaks[:50]:
        print(f"  LEAK {leak}")
    assert tally.cases > 0
    assert tally.leaks == []
    # The sweep only means something if someone has something withheld.
    assert any(withheld.values())
