"""The README's 'where does X live' table stays true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_path_in_the_table_exists():
    text = (ROOT / "README.md").read_text()
    table = text.split("## Where does X live", 1)[1].split("\n## ", 1)[0]
    # Only the "where" column names paths; the "what" column may quote settings or outputs.
    rows = [line.rsplit("|", 2)[-2] for line in table.splitlines() if line.count("|") >= 3]
    paths = re.findall(r"`([^`]+)`", "\n".join(rows))
    assert len(paths) > 20
    for path in paths:
        if path.startswith("THROUGHCARE_") or path.startswith("throughcare"):
            continue
        matches = list(ROOT.glob(path)) if "*" in path else [ROOT / path]
        assert matches and all(m.exists() for m in matches), f"README names missing {path}"


def test_the_two_commands_are_the_makefile_targets():
    text = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert f"make {target}" in text
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
