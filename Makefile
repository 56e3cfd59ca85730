# Carefront. The two commands: `make run` (serve the demo on http://127.0.0.1:8000) and `make test`.
# Everything else here is a helper. Only Python 3.11 is needed up front: the rest comes from uv.lock.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# The uv that writes and reads uv.lock, installed from PyPI into .venv so nothing else is needed.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
CAREFRONT := $(BIN)/carefront
PORT ?= 8000
PYTEST_ARGS ?= -n auto

export PORT
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Use the interpreter of .venv; never download a Python build.
export UV_PYTHON_DOWNLOADS := never

# `make run` keeps its data in ./carefront-data and `make test` in ./.test-data, unless
# CAREFRONT_DATA_DIR says otherwise (CI gives each suite its own).
ifeq ($(origin CAREFRONT_DATA_DIR),undefined)
RUN_DATA_DIR := $(CURDIR)/carefront-data
TEST_DATA_DIR := $(CURDIR)/.test-data
else
RUN_DATA_DIR := $(abspath $(CAREFRONT_DATA_DIR))
TEST_DATA_DIR := $(abspath $(CAREFRONT_DATA_DIR))
endif

.PHONY: help run test screenshots chromium dovecot gettext pango install install-dev lint format typecheck pytest bench bench-seed bench-api bench-pages bench-import bench-sla bench-insights bench-mail bench-metrics ci clean

help:
	@echo "make run        serve Carefront with demo data on http://127.0.0.1:$(PORT) (PORT, CAREFRONT_DATA_DIR)"
	@echo "make test       lint, type-check and run the whole test suite (DATABASE_URL, CAREFRONT_QUEUE_URL)"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     ruff format and ruff check --fix"
	@echo "make typecheck  mypy carefront"
	@echo "make pytest     the tests only (PYTEST_ARGS='$(PYTEST_ARGS)')"
	@echo "make screenshots  rewrite docs/screenshots/ by running the browser tests"
	@echo "make bench      the benchmarks in bench/, printing JSON"
	@echo "make ci         what CI runs: the suite on SQLite, then on PostgreSQL with Redis (.ci/run)"
	@echo "make clean      remove test and benchmark data (never ./carefront-data)"

# --- environment ---------------------------------------------------------------------------------

$(BIN)/python:
	@if ! $(PYTHON) -m venv "$(VENV)"; then \
		rm -rf "$(VENV)"; \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's python3-venv, which $(PYTHON) -m venv needs"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
			$(PYTHON) -m venv "$(VENV)"; \
		else \
			echo "Cannot create .venv: install Python's venv module (Debian: sudo apt-get install python3-venv)." >&2; \
			exit 1; \
		fi; \
	fi

$(UV): | $(BIN)/python
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# --inexact: uv must not remove what it does not manage in .venv (uv itself, pip).
install: $(UV)
	$(UV) sync --frozen --inexact

install-dev: $(UV)
	$(UV) sync --frozen --inexact --group dev

# --- the two commands ----------------------------------------------------------------------------

run: export CAREFRONT_DATA_DIR := $(RUN_DATA_DIR)
# Mail sent to this address becomes tickets (the README's example); set it empty to run no listener.
run: export CAREFRONT_SMTP_LISTEN ?= 127.0.0.1:2525
run: install pango
	@mkdir -p "$(RUN_DATA_DIR)"
	@echo "Carefront data: $(RUN_DATA_DIR)"
	$(CAREFRONT) migrate --no-input --verbosity 0
	@# The admin exists before the demo data, so it is the login printed below.
	$(CAREFRONT) createadmin --if-missing --verbosity 0
	$(CAREFRONT) demo --if-empty
	@echo
	@$(CAREFRONT) createadmin --if-missing
	@echo "Serving on http://127.0.0.1:$(PORT)/ (API docs: /api/v1/docs). Stop with Ctrl-C."
	@if [ -n "$$CAREFRONT_SMTP_LISTEN" ]; then echo "Email to support@carefront.localhost via SMTP at $$CAREFRONT_SMTP_LISTEN becomes a ticket."; fi
	@echo
	exec $(CAREFRONT) serve --no-migrate

test: export CAREFRONT_DATA_DIR := $(TEST_DATA_DIR)
test: install-dev chromium dovecot gettext pango lint typecheck pytest

# The browser tests drive Debian's chromium (never a browser downloaded by Playwright).
chromium:
	@[ -x /usr/bin/chromium ] || scripts/debian-package.sh chromium "The browser tests need Chromium at /usr/bin/chromium"

# The IMAP tests run a private instance of Debian's Dovecot (never a fake server): `dovecot -F -c CONFIG`.
dovecot:
	@[ -x /usr/sbin/dovecot ] || scripts/debian-package.sh dovecot-imapd "The IMAP tests need Dovecot at /usr/sbin/dovecot"

# The client survey reports are PDFs rendered by WeasyPrint, which lays text out with Debian's Pango (and needs a
# font): libpango-1.0-0 and libpangoft2-1.0-0 (they bring HarfBuzz and fontconfig) and DejaVu fonts.
PANGO_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
# Elsewhere than Debian, install Pango yourself (WeasyPrint's docs): only the PDF download needs it.
pango:
	@command -v dpkg-query >/dev/null || { echo "Not Debian: install Pango for PDF reports (see WeasyPrint's docs)."; exit 0; }; \
	missing=""; for package in $(PANGO_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	[ -z "$$missing" ] || scripts/debian-package.sh "$${missing# }" "PDF reports (WeasyPrint) need Pango and a font"

# The translation test runs Django's makemessages, which needs GNU gettext (xgettext, msgmerge, msgfmt).
gettext:
	@{ command -v xgettext && command -v msgmerge && command -v msgfmt; } >/dev/null || \
		scripts/debian-package.sh gettext "The translation test needs GNU gettext (xgettext, msgmerge, msgfmt)"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: export CAREFRONT_DATA_DIR := $(TEST_DATA_DIR)
typecheck: install-dev
	$(BIN)/mypy carefront

# DATABASE_URL and CAREFRONT_QUEUE_URL pass through from the environment: CI runs this on PostgreSQL and Redis.
pytest: export CAREFRONT_DATA_DIR := $(TEST_DATA_DIR)
pytest: install-dev
	@mkdir -p "$(TEST_DATA_DIR)"
	$(BIN)/pytest $(PYTEST_ARGS)

# --- helpers -------------------------------------------------------------------------------------

# The README's screenshots, taken by the browser tests (an ordinary run keeps them with its test data).
screenshots: export CAREFRONT_DATA_DIR := $(TEST_DATA_DIR)
screenshots: install-dev chromium
	@mkdir -p "$(TEST_DATA_DIR)"
	CAREFRONT_SCREENSHOTS_DIR="$(CURDIR)/docs/screenshots" $(BIN)/pytest -p no:xdist tests/browser

bench: bench-seed bench-api bench-pages bench-import bench-sla bench-insights bench-mail bench-metrics

bench-seed: install-dev
	$(BIN)/python -m bench.seed 1000000

bench-api: install-dev
	$(BIN)/python -m bench.api

bench-pages: install-dev
	$(BIN)/python -m bench.pages

bench-import: install-dev
	$(BIN)/python -m bench.import

bench-sla: install-dev
	$(BIN)/python -m bench.sla

bench-insights: install-dev
	$(BIN)/python -m bench.insights

bench-mail: install-dev
	$(BIN)/python -m bench.mail

bench-metrics: install-dev
	$(BIN)/python -m bench.metrics

ci:
	.ci/run

clean:
	rm -rf "$(CURDIR)/.test-data" "$(CURDIR)/.bench-data" .mypy_cache .ruff_cache .pytest_cache .hypothesis
