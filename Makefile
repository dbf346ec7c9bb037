# finestats front door. Every target creates .venv (idempotently) with nothing but python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CURRENCY ?= EUR
OUT    ?= reports
# JupyterLab refuses to start as root unless told; containers usually run as root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.DEFAULT_GOAL := help
.PHONY: help venv test test-deep test-fast lint format data report lab strip notebooks mutation bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m compileall -q src/finestats  # bytecode, as a wheel install has (-e has none)
	$(BIN)/python -m ipykernel install --sys-prefix --name finestats --display-name "Python 3 (finestats)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install finestats with its dev tools

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff format and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint  ## lint, validate the shipped data strictly, run every test
	$(BIN)/finestats validate --strict
	$(BIN)/python -m pytest

test-deep: $(STAMP)  ## the slow sweeps (fuzzing, the oracle) at full size, as a nightly job would
	FINESTATS_DEEP=1 $(BIN)/python -m pytest -m slow

test-fast: $(STAMP)  ## the inner loop: every test but the notebook and browser ones (-m "not slow")
	$(BIN)/python -m pytest -m "not slow"

data: $(STAMP)  ## regenerate data/processed/ and the counts in data/README.md from data/raw/
	$(BIN)/finestats make-data --out data/processed --readme data/README.md

report: $(STAMP)  ## render every notebook into a new folder of reports/ (reports/latest links it)
	$(BIN)/finestats report --currency $(CURRENCY) --out $(OUT)

lab: $(STAMP)  ## start JupyterLab on the notebooks, with the project's kernel
	$(BIN)/jupyter lab --config=jupyter_server_config.py $(LAB_ROOT) notebooks/

strip: $(STAMP)  ## remove outputs and execution counts from the notebooks (before committing)
	$(BIN)/python -m finestats.jupyter strip notebooks/*.ipynb

notebooks: $(STAMP)  ## regenerate every notebook's parameters cell from the settings' declarations
	$(BIN)/python -m finestats.jupyter params notebooks/*.ipynb

mutation: $(STAMP)  ## mutation testing of the core modules (slow; writes reports/mutation.md)
	$(BIN)/python bench/mutation.py

bench: $(STAMP)  ## print the benchmark figures (load, convert, CLI, report)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_convert.py
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_report.py

clean:  ## remove generated files (not data/raw)
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .hypothesis build src/*.egg-info
	find data/processed -type f ! -name .gitkeep -delete
