# limburg-indicators: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
# One BLAS thread per process: builds and tests already run one process per core.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,geo]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

env: $(STAMP) ## Create .venv and install the package with its test tools

# The package's bytecode. An editable install does not compile it, and where
# PYTHONDONTWRITEBYTECODE is set (as in CI) every process compiled it again:
# about 0.1 s for each build process, report worker and kernel. Quick when current.
pyc: $(STAMP) ## Compile the package's bytecode (quick when current; reports, test and bench do it)
	@$(BIN)/python -m compileall -q src/indicators

reports: $(STAMP) pyc ## Build every report (all areas, province, site index) from the embedded demo data into _output/
	$(BIN)/indicators build --all

lint: $(STAMP) ## Ruff lint and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

test: $(STAMP) pyc lint ## Lint, then run the whole test suite (unit, reference and end-to-end)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## Unit tests only (skips the end-to-end builds)
	$(BIN)/python -m pytest -m "not integration"

BENCH_ARGS ?=
bench: $(STAMP) pyc ## Benchmarks: papermill vs warm vs cached builds, scale run (ratios vs a same-run baseline); BENCH_ARGS="--full 300 3000"
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

bench-its: $(STAMP) ## Trend-break simulation study: CI coverage over 1,000 replicates, and power
	$(BIN)/python benchmarks/its_coverage.py

validate: $(STAMP) ## Check the catalogue, params and data without building
	$(BIN)/indicators validate

demo-data: $(STAMP) ## Regenerate the embedded synthetic demo data (deterministic)
	$(BIN)/indicators demo-data

format: $(STAMP) ## Apply ruff formatting and autofixes
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean: ## Remove build outputs (keeps .venv)
	rm -rf _output _build .pytest_cache

distclean: clean ## Remove build outputs and the virtual environment
	rm -rf $(VENV)

.PHONY: help env pyc reports lint test test-fast bench bench-its validate demo-data format clean distclean
