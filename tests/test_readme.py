"""The README's 'where does X live' table stays true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _table_paths() -> list[str]:
    """What the "where" column of the README's table names (the "what" column may quote
    settings or outputs, so it is not read)."""
    text = (ROOT / "README.md").read_text()
    table = text.split("## Where does X live", 1)[1].split("\n## ", 1)[0]
    rows = [line.rsplit("|", 2)[-2] for line in table.splitlines() if line.count("|") >= 3]
    paths = re.findall(r"`([^`]+)`", "\n".join(rows))
    return [p for p in paths if not p.startswith(("THROUGHCARE_", "throughcare"))]


def test_every_path_in_the_table_exists():
    paths = _table_paths()
    assert len(paths) > 20
    for path in paths:
        matches = list(ROOT.glob(path)) if "*" in path else [ROOT / path]
        assert matches and all(m.exists() for m in matches), f"README names missing {path}"


def _rooms() -> list[str]:
    """Every folder and top-level module of core/ and every plugin: the rooms a newcomer
    looks for by name."""
    found = [
        p
        for p in [*(ROOT / "core").iterdir(), *(ROOT / "plugins").iterdir()]
        if not p.name.startswith(("_", "."))
        and (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    ]
    return sorted(str(p.relative_to(ROOT)) for p in found)


def test_every_room_of_the_house_is_in_the_table():
    """A new domain, plugin or top-level module is added to the table with it."""
    named = {p.rstrip("/") for p in _table_paths()}
    unnamed = [
        room
        for room in _rooms()
        if room not in named and not any(p.startswith(room + "/") for p in named)
    ]
    assert len(_rooms()) > 40
    assert not unnamed, f"README's 'where does X live' table does not name {unnamed}"


def test_the_two_commands_are_the_makefile_targets():
    text = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert f"make {target}" in text
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


# The house's size rule: a reader holds a module whole. Migrations are history, not read.
LONGEST_MODULE = 450


def _modules() -> list[Path]:
    found = [*(ROOT / "core").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]
    return sorted(p for p in found if "migrations" not in p.relative_to(ROOT).parts)


def test_modules_over_the_size_rule_are_found():
    """The size check itself sees a long module (so the xfail below cannot pass by reading
    nothing)."""
    longest = max(_modules(), key=lambda p: len(p.read_text().splitlines()))
    assert len(_modules()) > 100
    assert len(longest.read_text().splitlines()) > 100


def _lengths() -> dict[str, int]:
    return {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in _modules()}


def test_no_module_is_over_the_size_rule():
    long = {path: n for path, n in _lengths().items() if n > LONGEST_MODULE}
    assert not long, f"modules over {LONGEST_MODULE} lines: {long}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """What a module imports when it is loaded: top-level statements and the bodies of
    top-level ``if``/``try`` (not functions, not ``if TYPE_CHECKING``)."""
    found: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                pending.extend(node.body)
            pending.extend(node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                pending.extend(handler.body)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            # ``from core.jobs import outbox`` imports the module core.jobs.outbox.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    """core's and plugins' modules, each to the project modules it imports at load time.

    Importing ``a.b.c`` loads ``a`` and ``a.b`` first, but a package's ``__init__`` is
    not counted as imported by its own children, so the edge goes to the module named.
    """
    sources = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in sources.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = _module_level_imports(tree, name, path.name == "__init__.py")
        # A module's own packages are loaded before it, whatever it imports from them.
        ancestors = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
        graph[name] = {t for t in targets if t in sources and t != name} - ancestors
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_reads_module_level_imports_only():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import core.db.base\n"
        "from . import models\n"
        "from .services import thing\n"
        "if TYPE_CHECKING:\n    from core.authz.access import Access\n"
        "def later():\n    from core.jobs import worker\n"
    )
    found = _module_level_imports(tree, "core.jobs.outbox", is_package=False)
    assert {"core.db.base", "core.jobs.models", "core.jobs.services"} <= found
    assert not {"core.authz.access", "core.jobs.worker"} & found
    graph = import_graph()
    assert "core.jobs.outbox" in graph["core.jobs.inprocess"]
    assert "core.jobs" not in graph["core.jobs.outbox"]


def _imports_anywhere(path: Path) -> set[str]:
    return {
        node.module or ""
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import)
        for alias in node.names
    }


def test_the_jobs_outbox_does_not_reach_back_into_the_worker():
    """The worker uses the outbox; the outbox must not import the worker, not even late
    inside a function (the circle issue 15 names): what both need lives apart."""
    assert "core.jobs.worker" not in _imports_anywhere(ROOT / "core/jobs/outbox.py")
    assert "core.jobs.outbox" in _imports_anywhere(ROOT / "core/jobs/worker.py")


def test_no_import_cycle_among_core_and_plugins():
    assert find_cycles(import_graph()) == []
