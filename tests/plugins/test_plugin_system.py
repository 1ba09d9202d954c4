"""The plugin system's guarantees: built-in plugins and entry points, start-up checks,
per-tenant enablement (routes, categories, protocol lines, event reactions, jobs), a
failing hook that cannot break core while access fails closed, and every hook documented."""

from __future__ import annotations

import ast
import logging
import sys
import tomllib
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pluggy
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from core import clock, events
from core.app import create_app
from core.audit.models import AuditEvent
from core.authz.actor import CurrentUser, resolve_actor
from core.authz.models import ProtocolVersion
from core.authz.protocol import seed_text
from core.db.engine import make_engine, make_session_factory
from core.demo.loader import _plugin_demo
from core.hookspecs import hookimpl
from core.hooktypes import DemoContext, NavItem
from core.jobs.outbox import run_pending
from core.jobs.worker import job_context
from core.persons.models import Person
from core.plugins import (
    DEFAULT_PLUGINS,
    ENTRY_POINT_GROUP,
    ESSENTIAL_PLUGINS,
    build_plugin_manager,
    collect,
    get_plugin_manager,
    switchable_plugins,
    tenant_hook,
)
from core.settings import PROJECT_ROOT
from core.tenancy.models import Organisation, Tenant
from core.vocabulary import tenant_categories
from plugins.housing.models import HousingRecord
from tests.plugins.housing_support import PERTH, add_member, add_officer, db, make_person

EXTERNAL = Path(__file__).resolve().parent / "external_plugin"
HOOKSPECS = PROJECT_ROOT / "core" / "hookspecs.py"
GUIDE = PROJECT_ROOT / "plugins" / "README.md"


def install_entry_point(site: Path, dist: str, entry_points: dict[str, str]) -> None:
    """What ``pip install`` leaves behind for entry points: a dist-info directory."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    lines = [f"{name} = {target}" for name, target in entry_points.items()]
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(lines) + "\n")


@pytest.fixture
def external_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pluggy.PluginManager]:
    """The example package installed through the entry point its pyproject.toml declares."""
    project = tomllib.loads((EXTERNAL / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"][ENTRY_POINT_GROUP]
    install_entry_point(tmp_path / "site", project["name"], declared)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(EXTERNAL))
    yield build_plugin_manager()
    sys.modules.pop("throughcare_example_plugin", None)


def test_built_in_plugins_are_registered_and_switchable():
    pm = get_plugin_manager()
    switchable = switchable_plugins(pm)
    assert "housing" in DEFAULT_PLUGINS
    assert set(DEFAULT_PLUGINS) <= switchable
    assert not switchable & set(ESSENTIAL_PLUGINS)
    # Core's own domains answer the same hooks as the plugins do.
    route_owners = {impl.plugin_name for impl in pm.hook.register_routes.get_hookimpls()}
    assert {"core.persons.controllers", "housing"} <= route_owners


async def test_an_installed_plugin_brings_its_route_category_and_reaction(world, external_plugin):
    pm = external_plugin
    assert "example" in switchable_plugins(pm)
    assert "finance" in tenant_categories(pm, ["example"])
    assert "finance" not in tenant_categories(pm, [])

    async with db(world) as session:
        tenant = await session.get(Tenant, world.tenants["low-moss"].id)
        assert tenant is not None
        config = dict(tenant.config)
        config["plugins"] = [*config["plugins"], "example"]
        await session.execute(update(Tenant).where(Tenant.id == tenant.id).values(config=config))
        await session.commit()

    async with AsyncTestClient(app=create_app(world.settings, pm)) as client:
        on = await client.get("/api/v1/t/low-moss/example/hello", headers=world.auth("lm_worker"))
        assert on.status_code == 200, on.text
        assert on.json() == {"hello": "low-moss", "category": "finance"}
        off = await client.get("/api/v1/t/leicester/example/hello", headers=world.auth("lc_worker"))
        assert off.status_code == 404

    released = uuid.UUID(await make_person(world, clock.today()))
    engine = make_engine(world.settings.db)
    token = events.set_plugin_manager(pm)
    try:
        factory = make_session_factory(engine)
        async with factory() as session:
            for username, slug in (("lm_worker", "low-moss"), ("lc_worker", "leicester")):
                user = world.users[username]
                actor = await resolve_actor(
                    session, CurrentUser(user.id, user.username, user.display_name, False), slug
                )
                assert actor is not None
                await events.publish(session, actor, "person_released", person_id=released)
            await session.commit()
        await run_pending(job_context(world.settings, pm, factory))
        async with factory() as session:
            traces = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.record_type == "example_release")
                )
            ).all()
    finally:
        events.reset_plugin_manager(token)
        await engine.dispose()
    # Low Moss has the plugin on, Leicester does not: one reaction, in Low Moss only.
    assert [(t.tenant_id, t.person_id) for t in traces] == [
        (world.tenants["low-moss"].id, released)
    ]


def test_a_misspelled_hook_implementation_fails_at_start_up(tmp_path, monkeypatch):
    (tmp_path / "misspelled_plugin.py").write_text(
        "from core.hookspecs import hookimpl\n\n\n@hookimpl\ndef register_route():\n    return []\n"
    )
    install_entry_point(tmp_path, "misspelled-plugin", {"misspelled": "misspelled_plugin"})
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(pluggy.PluginValidationError, match="register_route"):
            build_plugin_manager()
    finally:
        sys.modules.pop("misspelled_plugin", None)


async def test_a_partnership_without_housing_has_no_housing(world):
    await add_officer(world)
    await add_member(
        world, "perth_housing", "hmp-perth", "perth-kinross-council", ["housing_officer"]
    )
    for path in ("board", "authorities", f"persons/{uuid.uuid4()}"):
        response = await world.get("perth_housing", f"{PERTH}/housing/{path}")
        assert response.status_code == 404, path
    assert (await world.get("lm_housing", "/api/v1/t/low-moss/housing/board")).status_code == 200

    # The plugin's protocol lines went into Low Moss's protocol, not into Perth's.
    async with db(world) as session:
        texts = {
            slug: await session.scalar(
                select(ProtocolVersion.rules)
                .where(ProtocolVersion.tenant_id == world.tenants[slug].id)
                .order_by(ProtocolVersion.version.desc())
                .limit(1)
            )
            for slug in ("low-moss", "hmp-perth")
        }
    assert "r:housing_officer, low-moss, housing, write" in texts["low-moss"]
    assert "housing, write" not in texts["hmp-perth"]

    # Its navigation, panels, demo data and event reactions are not asked for there.
    pm = get_plugin_manager()
    perth = world.tenants["hmp-perth"].plugins
    assert "housing" not in perth
    for hook in ("register_navigation", "register_person_panels", "register_demo_loaders"):
        owners = {i.plugin_name for i in tenant_hook(pm, hook, perth).get_hookimpls()}
        assert "housing" not in owners, hook
        lm_owners = {
            i.plugin_name
            for i in tenant_hook(pm, hook, world.tenants["low-moss"].plugins).get_hookimpls()
        }
        assert "housing" in lm_owners, hook


class Broken:
    """A plugin whose every answer raises."""

    @hookimpl
    def register_navigation(self) -> list[NavItem]:
        raise RuntimeError("broken navigation")

    @hookimpl
    def register_protocol_lines(self, tenant_slug: str) -> list[str]:
        raise RuntimeError("broken protocol lines")

    @hookimpl
    def register_demo_loaders(self) -> list[Any]:
        async def load(ctx: DemoContext) -> None:
            ctx.session.add(
                Person(
                    tenant_id=ctx.tenant_id,
                    given_name="Half",
                    family_name="Written",
                    sort_name="written half",
                    date_of_birth=date(1980, 1, 1),
                )
            )
            await ctx.session.flush()
            raise RuntimeError("broken demo loader")

        return [load]


@pytest.fixture
def broken() -> Iterator[pluggy.PluginManager]:
    """Registered on the process's plugin manager for one test, then unregistered."""
    pm = get_plugin_manager()
    pm.register(Broken(), name="broken")
    try:
        yield pm
    finally:
        pm.unregister(name="broken")


def test_a_failing_hook_is_skipped_and_logged(broken, caplog):
    enabled = ["housing", "broken"]
    with caplog.at_level(logging.ERROR, logger="throughcare.plugins"):
        nav = [
            n
            for answer in collect(tenant_hook(broken, "register_navigation", enabled))
            for n in answer
        ]
    assert any(n.path == "housing/board" for n in nav)
    assert "'broken' failed in hook 'register_navigation'" in caplog.text
    # A hook with arguments passes each implementation the ones it asks for.
    lines = collect(tenant_hook(broken, "register_protocol_lines", ["housing"]), tenant_slug="x")
    assert "p, r:housing_officer, x, housing, write, partnership, no_consent" in lines[0]
    # Switched off for the tenant, it is not even asked.
    caplog.clear()
    collect(tenant_hook(broken, "register_navigation", ["housing"]))
    assert caplog.text == ""


def test_access_deciding_hooks_fail_closed(broken):
    tenant = Tenant(
        slug="low-moss",
        name="Low Moss",
        nation="scotland",
        config={"protocol": "low-moss", "plugins": ["housing", "broken"]},
    )
    # No protocol is seeded from a half answer: the failure stops the seeding.
    with pytest.raises(RuntimeError, match="broken protocol lines"):
        seed_text(PROJECT_ROOT / "policies", broken, tenant)
    tenant.config = {"protocol": "low-moss", "plugins": ["housing"]}
    assert "r:housing_officer, low-moss, housing" in seed_text(
        PROJECT_ROOT / "policies", broken, tenant
    )


async def test_a_failing_demo_loader_loses_only_its_own_rows(world, broken, caplog):
    await add_officer(world)
    lm = world.tenants["low-moss"]
    async with db(world) as session:
        session.add(
            Person(
                tenant_id=lm.id,
                given_name="Due",
                family_name="Out",
                sort_name="out due",
                date_of_birth=date(1980, 1, 1),
                liberation_date=clock.today() + timedelta(days=30),
            )
        )
        await session.flush()
        tenant = await session.get(Tenant, lm.id)
        assert tenant is not None
        tenant.config = {**tenant.config, "plugins": [*tenant.plugins, "broken"]}
        orgs = {
            o.slug: o
            for o in (
                await session.scalars(select(Organisation).where(Organisation.tenant_id == lm.id))
            ).all()
        }
        spec = next(s for s in _specs() if s.slug == "low-moss")
        with caplog.at_level(logging.ERROR, logger="throughcare.demo"):
            await _plugin_demo(session, spec, tenant, orgs, [], clock.today())
        await session.commit()
        names = (
            await session.scalars(select(Person.family_name).where(Person.tenant_id == lm.id))
        ).all()
        records = (await session.scalars(select(HousingRecord))).all()
    assert "Written" not in names
    assert len(records) == 1
    assert "broken demo loader" in caplog.text


def _specs() -> list[Any]:
    from core.tenancy.spec import load_specs

    return load_specs(PROJECT_ROOT / "tenants")


def _is_hookspec(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Name) and target.id == "hookspec"


def _hookspec_names() -> list[str]:
    tree = ast.parse(HOOKSPECS.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and any(map(_is_hookspec, node.decorator_list))
    ]


def test_every_hook_has_a_docstring_and_a_section_in_the_guide():
    from core import hookspecs

    names = _hookspec_names()
    registered = {
        name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "throughcare_spec")
    }
    assert names and set(names) == registered
    guide = GUIDE.read_text()
    for name in names:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert len(doc.strip()) > 40, f"hook {name} has no docstring"
        assert f"### `{name}`" in guide, f"hook {name} is not documented in plugins/README.md"
