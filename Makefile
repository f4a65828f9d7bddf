# IKU Lampung. `make` (or `make help`) lists the targets. Each target creates .venv when missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The versions tested together (deploy/lock.py); every install takes them as pip constraints.
LOCK := requirements.lock
# Optional extras of `make install`, e.g. EXTRAS=dask (the Dask task runner).
EXTRAS ?=

.PHONY: help demo test check lint typecheck contracts bench bench-startup bench-portal install lock clean browser messages

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; exit 1; }
endef

$(STAMP): pyproject.toml $(LOCK)
	$(make_venv)
	@echo "Installing the project and its tools into $(VENV) (first run takes a minute or two)..."
	@$(BIN)/python -m pip install -c $(LOCK) -e '.[dev,dask]' >> $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "Installing failed; the log is in $(VENV)/install.log"; exit 1; }
	@touch $(STAMP)

install: ## Runtime only (no development tools), at the locked versions: servers (EXTRAS=dask adds Dask)
	$(make_venv)
	@echo "Installing the project (runtime only$(if $(EXTRAS), + $(EXTRAS))) into $(VENV)..."
	@$(BIN)/python -m pip install -c $(LOCK) -e '.$(if $(EXTRAS),[$(EXTRAS)])' >> $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "Installing failed; the log is in $(VENV)/install.log"; exit 1; }
	@$(BIN)/iku --help > /dev/null && echo "Installed: $(BIN)/iku"

lock: $(STAMP) ## Rewrite requirements.lock from the tested environment (after changing a dependency)
	@$(BIN)/python deploy/lock.py

demo: $(STAMP) ## Create the environment and run the demo on the embedded SQLite database
	@$(BIN)/iku demo

# Test processes (pytest-xdist): one per logical CPU; TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= logical

test: $(STAMP) browser ## Create the environment (and the test browser) and run the test suite
	@$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

CHROMIUM := /usr/bin/chromium

# The web application's browser tests drive Debian's chromium with Playwright (Playwright's own
# browser download does not work here). Installed once with apt-get when it is missing.
browser: ## Install Debian's chromium for the browser tests when it is missing (needs root)
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests: apt-get update && apt-get install -y chromium"; \
		if [ "$$(id -u)" != 0 ]; then echo "apt-get needs root: run 'sudo apt-get install -y chromium' (the browser tests are skipped meanwhile)"; exit 0; fi; \
		apt-get update -qq > $${TMPDIR:-/tmp}/iku-apt.log 2>&1 \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >> $${TMPDIR:-/tmp}/iku-apt.log 2>&1 \
			|| { cat $${TMPDIR:-/tmp}/iku-apt.log; echo "Installing chromium failed; the log is in $${TMPDIR:-/tmp}/iku-apt.log"; exit 1; }; \
		echo "Installed $$($(CHROMIUM) --version 2>/dev/null)"; \
	fi

messages: $(STAMP) ## Extract the messages, update the id/en catalogs (iku/locale) and compile them
	@$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --project "IKU Lampung" -o iku/locale/iku.pot .
	@$(BIN)/pybabel -q update -i iku/locale/iku.pot -d iku/locale -D iku --no-fuzzy-matching --ignore-obsolete
	@$(BIN)/pybabel -q compile -d iku/locale -D iku --statistics
	@echo "Catalogs updated: translate the empty msgstr in iku/locale/*/LC_MESSAGES/iku.po, then run make messages again."

lint: $(STAMP) ## ruff lint and format check
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy
	@$(BIN)/mypy

contracts: $(STAMP) ## Import contracts (the layers of README "Architecture"), import-linter
	@$(BIN)/lint-imports --no-cache

check: lint typecheck contracts test ## Everything CI checks: ruff, format, mypy, import contracts, tests

bench: $(STAMP) ## Scale benchmarks S and M vs their floors -> benchmarks/results/latest.md (BENCH_ARGS="--scales S,M,L" adds L); one bulletin's PDF (Typst, < 20 ms); the dashboard's answer at S and M
	@$(BIN)/python -m benchmarks $(BENCH_ARGS)
	@$(BIN)/python -m benchmarks.bench_typst
	@$(BIN)/python -m benchmarks.bench_dashboard $(BENCH_DASHBOARD_ARGS)

bench-startup: $(STAMP) ## Start-up times of `iku --help` (< 0,3 s) and `iku review list` (< 1,5 s): min/median, PASS/FAIL
	@$(BIN)/python -m benchmarks.bench_startup $(BENCH_ARGS)

bench-portal: $(STAMP) ## The submissions API under 20 concurrent submitters: p50/p95 (< 1 s) and the figures' update (< 5 s), PASS/FAIL (BENCH_ARGS="--postgres URL")
	@$(BIN)/python -m benchmarks.bench_submissions $(BENCH_ARGS)

clean: ## Remove the environment and local state (var/, out/)
	rm -rf $(VENV) var out .pytest_cache .mypy_cache .ruff_cache
