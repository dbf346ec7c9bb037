# finestats front door. Every target creates .venv (idempotently) with nothing but python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CURRENCY ?= EUR
OUT    ?= reports

.DEFAULT_GOAL := help
.PHONY: help venv test lint format data report lab clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (finestats)" >/dev/null
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

data: $(STAMP)  ## regenerate data/processed/ from data/raw/
	$(BIN)/finestats make-data --out data/processed --readme data/README.md

report: $(STAMP)  ## render every notebook into reports/<date>-<currency>/
	$(BIN)/finestats report --currency $(CURRENCY) --out $(OUT)

lab: $(STAMP)  ## start JupyterLab on the project's venv
	$(BIN)/jupyter lab notebooks/

clean:  ## remove generated files (not data/raw)
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .hypothesis
	find data/processed -type f ! -name .gitkeep -delete
