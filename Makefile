# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The install stamp depends on pyproject.toml, so a changed dependency list reinstalls.
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

HUB_DATA_DIR ?= ./hub-data
HUB_HOST ?= 127.0.0.1
HUB_PORT ?= 8083

.PHONY: run test lint typecheck unit system-packages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/hub up --data-dir $(HUB_DATA_DIR) --host $(HUB_HOST) --port $(HUB_PORT)

system-packages:
	@bash scripts/ensure_system_packages.sh

lint: $(DEV_STAMP)
	$(BIN)/ruff check hub connectors schemas workers tests benchmarks
	$(BIN)/ruff format --check hub connectors schemas workers tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP)
	$(BIN)/pytest -q

test: $(DEV_STAMP) system-packages lint typecheck unit

bench: $(DEV_STAMP) system-packages
	$(BIN)/python benchmarks/log_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
