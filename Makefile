# Crossdock: `make run` serves the demo, `make test` runs every quality gate.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test install install-dev lint format typecheck checks test-sqlite test-postgres \
        services lock bench clean

help:
	@echo "make run   - set up, load the demo group and serve http://$(HOST):$(PORT)/"
	@echo "make test  - lint, format check, types, Django checks and the suite on SQLite and PostgreSQL"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12), "Crossdock needs Python 3.12, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base-installed: $(BIN)/python requirements/base.lock pyproject.toml
	$(PIP) install --require-hashes -r requirements/base.lock
	$(PIP) install --no-deps -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.base-installed requirements/dev.lock
	$(PIP) install --require-hashes -r requirements/dev.lock
	@touch $@

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

run: install
	$(BIN)/crossdock migrate --no-input -v 0
	$(BIN)/crossdock demo --scale small --if-empty
	$(BIN)/crossdock runserver $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check crossdock tests bench

format:
	$(BIN)/ruff format crossdock tests bench

typecheck: install-dev
	$(BIN)/mypy crossdock

checks: install-dev
	$(BIN)/ruff format --check crossdock tests bench
	$(BIN)/crossdock check --fail-level WARNING
	$(BIN)/crossdock makemigrations --check --dry-run

services:
	@scripts/ensure-chromium.sh
	@scripts/ensure-postgres.sh >/dev/null

test-sqlite: install-dev
	@scripts/ensure-chromium.sh
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: install-dev
	@scripts/ensure-chromium.sh
	DATABASE_URL="$$(scripts/ensure-postgres.sh)" $(BIN)/pytest

test: lint checks typecheck test-sqlite test-postgres

# Re-pin every dependency (hashes included) after editing requirements/*.in.
lock: $(BIN)/python
	$(PIP) install uv==0.13.8
	$(BIN)/uv pip compile --python-version 3.12 --generate-hashes -q requirements/base.in -o requirements/base.lock
	$(BIN)/uv pip compile --python-version 3.12 --generate-hashes -q requirements/dev.in -o requirements/dev.lock

bench: install-dev
	$(BIN)/python bench/demo_seed.py

clean:
	rm -rf $(VENV) var staticfiles .mypy_cache .ruff_cache
