# sdrcrm developer tasks. `make help` lists them.
#
#   make install   virtualenv + dependencies (only when pyproject.toml changed), migrate, demo data
#   make run       web (runserver) + Celery worker + Celery beat; one Ctrl-C stops all three
#   make test      pytest against PostgreSQL and Redis (found or started; see scripts/test-services.sh)
#                  (first `npm ci`: axe-core, pinned in package-lock.json, for the browser tests)
#   make screenshots  run the role journeys in the browser, copy the README's screenshots to docs/
#   make test-faults  fault injection and concurrency at the issue's full counts (SDRCRM_FAULT_SCALE=1)
#   make bench     benchmarks on a million leads (SIZE=small|tiny for quick runs); var/bench/latest.json
#   make lint      ruff check
#   make audit     bandit and pip-audit; accepted findings, with reasons, in security-audit.toml
#   make clean     remove var/ (SQLite database, broker files, static), .venv and node_modules

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
ARGS ?=

# `make run` serves with DEBUG on, so runserver serves static files straight from the source
# tree (no collectstatic). Run `make run DJANGO_DEBUG=0` to try the production static pipeline:
# scripts/run-dev.sh then runs collectstatic first and WhiteNoise serves var/staticfiles.
DJANGO_DEBUG ?= 1
# Every target here is a development run: the app may use the development secret key
# (sdrcrm/settings.py refuses it outside development mode). Production sets DJANGO_SECRET_KEY.
export SDRCRM_DEV ?= 1

SIZE ?= full

.PHONY: help install deps jsdeps run test screenshots test-faults bench lint audit clean

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

deps: $(STAMP)

# Test-only JavaScript (axe-core, injected into pages by tests/browser); nothing here is served.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(AXE)

jsdeps: $(AXE)

# seed_demo is idempotent and prints the demo logins; a copy is kept for `make run`'s banner.
install: deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo | tee "$${SDRCRM_VAR_DIR:-var}/demo-logins.txt"

run: install
	PORT=$(PORT) DJANGO_DEBUG=$(DJANGO_DEBUG) PY=$(PY) bash scripts/run-dev.sh

test: deps jsdeps
	PY=$(PY) bash scripts/test-services.sh $(ARGS)

JOURNEYS := tests/browser/test_role_journeys.py tests/browser/test_import_journey.py \
	tests/browser/test_dashboards_journey.py

screenshots: deps jsdeps
	PY=$(PY) bash scripts/test-services.sh $(JOURNEYS) -p no:randomly $(ARGS)
	bash scripts/readme-screenshots.sh

# Fault injection (private PostgreSQL and Redis of its own) and real-concurrency rounds at the
# issue's counts: 10,000 touches, 20 worker kills, 5 Redis restarts, hundreds of rounds.
test-faults: deps
	SDRCRM_FAULT_SCALE=$${SDRCRM_FAULT_SCALE:-1} PY=$(PY) bash scripts/test-services.sh -m faults -p no:randomly -s $(ARGS)

bench: deps
	PY=$(PY) bash scripts/test-services.sh --run $(PY) scripts/bench.py --size $(SIZE)

lint: deps
	$(VENV)/bin/ruff check .

audit: deps
	$(PY) scripts/security_audit.py

clean:
	rm -rf var $(VENV) node_modules
