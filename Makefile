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

.PHONY: help demo test check lint typecheck contracts bench bench-startup install lock system-packages clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	@deploy/system-packages.sh
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

system-packages: ## Install the system libraries the PDF engine needs (apt-get, as root) when missing
	@deploy/system-packages.sh

demo: $(STAMP) ## Create the environment and run the demo on the embedded SQLite database
	@$(BIN)/iku demo

test: $(STAMP) ## Create the environment and run the test suite
	@$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff lint and format check
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy
	@$(BIN)/mypy

contracts: $(STAMP) ## Import contracts (the layers of README "Architecture"), import-linter
	@$(BIN)/lint-imports --no-cache

check: lint typecheck contracts test ## Everything CI checks: ruff, format, mypy, import contracts, tests

bench: $(STAMP) ## Scale benchmarks S and M vs their floors -> benchmarks/results/latest.md (BENCH_ARGS="--scales S,M,L" adds L)
	@$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-startup: $(STAMP) ## Start-up times of `iku --help` (< 0,3 s) and `iku review list` (< 1,5 s): min/median, PASS/FAIL
	@$(BIN)/python -m benchmarks.bench_startup $(BENCH_ARGS)

clean: ## Remove the environment and local state (var/, out/)
	rm -rf $(VENV) var out .pytest_cache .mypy_cache .ruff_cache
