# The two Quick start commands (`make demo`, `make test`) must work on a fresh machine with only
# Python 3.11, pip and make: every target below creates and fills the virtualenv it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
DEPS   := pyproject.toml constraints.txt
ARGS   ?=

.PHONY: demo test lint bench install dev serve clean lock migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=24"

$(VENV)/.runtime: $(BIN)/python $(DEPS)
	$(PIP) install -q -c constraints.txt -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.runtime
dev: $(VENV)/.dev

## Build the demo business in ./regulars.db and print what to try next.
demo: $(VENV)/.runtime
	$(BIN)/regulars demo --no-serve --briefing $(ARGS)

## The whole test suite, in parallel (PostgreSQL tests skip with a reason when no server runs;
## with CI=true they fail instead).
test: $(VENV)/.dev
	$(BIN)/python -m pytest -n auto -q $(ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## Benchmarks (not tests): figures side by side with the reference they compete with.
bench: $(VENV)/.dev
	$(BIN)/python bench/import_bench.py $(ARGS)
	$(BIN)/python bench/demo_bench.py
	$(BIN)/python bench/pos_bench.py
	$(BIN)/python bench/analytics_bench.py
	$(BIN)/python bench/clv_bench.py
	$(BIN)/python bench/api_bench.py

serve: $(VENV)/.runtime
	$(BIN)/regulars serve

## Re-pin every dependency (run after changing pyproject.toml).
lock: $(BIN)/python
	$(PYTHON) -m venv /tmp/regulars-lock && /tmp/regulars-lock/bin/pip install -q '.[dev]'
	/tmp/regulars-lock/bin/pip freeze --exclude regulars > constraints.txt
	rm -rf /tmp/regulars-lock

## Regenerate the initial migration from store/tables.py (only until the first release).
migration: $(VENV)/.dev
	$(BIN)/python scripts/regen_initial_migration.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
