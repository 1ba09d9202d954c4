# Two commands on a fresh machine (Python 3.11+ and make):
#   make run    set everything up, load the demo partnerships, serve on http://127.0.0.1:8000
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# The pages' front-end assets (GOV.UK Frontend, htmx; axe-core for the browser tests) come
# from the npm registry and are built into core/web/static (git-ignored).
NODE_STAMP := node_modules/.installed-stamp
ASSETS := core/web/static/govuk/govuk-frontend.min.css
# The browser tests drive Debian's Chromium; installed with apt only when it is missing.
CHROMIUM := /usr/bin/chromium

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(ASSETS): $(NODE_STAMP) $(STAMP) core/web/assets.py
	$(BIN)/python -m core.web.assets

$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

install: $(STAMP) $(ASSETS)

run: install
	$(BIN)/throughcare db upgrade
	$(BIN)/throughcare tenants sync
	$(BIN)/throughcare demo load
	$(BIN)/throughcare serve

# Only the tests need a browser: `make run` never installs one.
# The suite runs on one xdist worker per core (each its own databases and Redis db);
# `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= auto
test: install $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache node_modules core/web/static test-artifacts
