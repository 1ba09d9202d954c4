"""Builds ``core/web/static`` from the npm packages in ``node_modules`` (``make install``).

Run as ``python -m core.web.assets``. The output is generated, so it is git-ignored.

GOV.UK Frontend's compiled CSS loads the GDS Transport font, which is licensed for
services on GOV.UK only; Throughcare is not one, so the ``@font-face`` rules are dropped
and pages fall back to Arial, as GOV.UK Frontend's guidance asks of other services.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from core.settings import PROJECT_ROOT

STATIC_DIR = Path(__file__).resolve().parent / "static"
NODE_MODULES = PROJECT_ROOT / "node_modules"
GOVUK = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
HTMX = NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"

# The files the pages link to; a test checks that each exists after a build.
BUILT_FILES: tuple[str, ...] = (
    "govuk/govuk-frontend.min.css",
    "govuk/govuk-frontend.min.js",
    "govuk/assets/images/favicon.ico",
    "htmx.min.js",
)

_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def build(static_dir: Path = STATIC_DIR) -> Path:
    if not GOVUK.is_dir() or not HTMX.is_file():
        raise SystemExit("node_modules is missing: run `npm ci` (or `make install`) first")
    target = static_dir / "govuk"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    css = (GOVUK / "govuk-frontend.min.css").read_text(encoding="utf-8")
    # The CSS asks for /assets/...; the pages serve them under /static/govuk/assets/.
    css = _FONT_FACE.sub("", css).replace("url(/assets/", "url(/static/govuk/assets/")
    # Its source map names paths that are not shipped: drop the reference.
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
    (target / "govuk-frontend.min.css").write_text(css, encoding="utf-8")
    js = (GOVUK / "govuk-frontend.min.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    (target / "govuk-frontend.min.js").write_text(js, encoding="utf-8")
    shutil.copytree(GOVUK / "assets" / "images", target / "assets" / "images")
    shutil.copyfile(HTMX, static_dir / "htmx.min.js")
    return static_dir


def is_built(static_dir: Path = STATIC_DIR) -> bool:
    return all((static_dir / name).is_file() for name in BUILT_FILES)


if __name__ == "__main__":
    print(f"built {build()}", file=sys.stderr)
