# One target per chore. `make run` and `make test` are the two commands of the README.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PARTICIPANTS ?= 300
PYTEST_ARGS ?= -n 2

.PHONY: install web run test lint typecheck openapi ci clean

# The web app (web/, served at /app): npm ci from the committed lock file, then a build that
# first regenerates the API types from openapi/openapi.json and type-checks (tsc --strict).
# Rebuilt only when its sources, its lock file or the OpenAPI document change.
WEB_INSTALLED := web/node_modules/.installed
WEB_STAMP := web/dist/.built
WEB_SOURCES := $(filter-out web/src/api/schema.d.ts,$(shell find web/src web/public -type f 2>/dev/null)) \
	web/index.html web/vite.config.ts web/tsconfig.json web/package.json openapi/openapi.json
NPM_MISSING := "Node.js 20 (with npm) is needed to build the web app in web/: see the README"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(WEB_INSTALLED): web/package-lock.json
	@command -v npm >/dev/null || { echo $(NPM_MISSING); exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_STAMP): $(WEB_INSTALLED) $(WEB_SOURCES)
	cd web && npm run --silent build
	touch $@

## Build the web app into web/dist (make run and make test do it when needed)
web: $(WEB_STAMP)

## Run the API on the embedded SQLite default with demo data: http://127.0.0.1:8000/docs
## and the web app at http://127.0.0.1:8000/app
run: $(STAMP) $(WEB_STAMP)
	$(BIN)/jobtinder migrate
	$(BIN)/jobtinder seed --participants $(DEMO_PARTICIPANTS)
	$(BIN)/jobtinder serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

## The whole test suite (SQLite by default; DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
test: $(STAMP) $(WEB_STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP) $(WEB_INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	cd web && npm run --silent check

openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) jobtinder.db jobtinder.db-wal jobtinder.db-shm web/node_modules web/dist
