# One target per chore. `make run` and `make test` are the two commands of the README.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PARTICIPANTS ?= 300
PYTEST_ARGS ?= -n 2

.PHONY: install run test lint typecheck openapi ci clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the API on the embedded SQLite default with demo data: http://127.0.0.1:8000/docs
run: $(STAMP)
	$(BIN)/jobtinder migrate
	$(BIN)/jobtinder seed --participants $(DEMO_PARTICIPANTS)
	$(BIN)/jobtinder serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

## The whole test suite (SQLite by default; DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) jobtinder.db jobtinder.db-wal jobtinder.db-shm
