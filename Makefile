# Journster: every target works on a fresh machine with Python >= 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000
WEB_CONCURRENCY ?= 2

.PHONY: install run serve test test-slow test-e2e lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Development server with demo data on http://$(HOST):$(PORT)
run: $(STAMP)
	$(BIN)/flask db upgrade
	@if [ "$${DEMO_DATA:-1}" = "1" ]; then $(BIN)/flask demo load; fi
	@# The search indexer runs in a thread of the dev server (built on first request if empty).
	DEMO_DATA=$${DEMO_DATA:-1} SEARCH_INDEXER_THREAD=1 \
		$(BIN)/flask run --debug --host $(HOST) --port $(PORT)

## Production shape: migrations, then gunicorn (WEB_CONCURRENCY workers) + the search indexer
serve: $(STAMP)
	$(BIN)/flask db upgrade
	@# The search indexer and a once-a-minute mail loop (nudges, immediate mail, digests)
	@# run beside gunicorn; all stop together.
	$(BIN)/flask search worker & worker=$$!; \
	( while sleep 60; do $(BIN)/flask notify nudges; $(BIN)/flask notify send; \
	  $(BIN)/flask notify send-digests; done ) & mailer=$$!; \
	trap 'kill $$worker $$mailer 2>/dev/null' EXIT INT TERM; \
	DEMO_DATA=$${DEMO_DATA:-0} HOST=$(HOST) PORT=$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) \
		$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

## The suite (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set), minus the
## heavier tests that start servers or walk the whole privacy matrix (make test-slow).
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not e2e" $(PYTEST_ARGS)

## Heavier tests: real gunicorn servers, the privacy matrix, backups, the load-test smoke run
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m "slow and not e2e" $(PYTEST_ARGS)

## Browser and accessibility tests: Playwright driving Debian's Chromium against `make serve`
test-e2e: $(STAMP)
	cd tests/e2e && npm ci --no-audit --no-fund --silent
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache
