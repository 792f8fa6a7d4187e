# Quick start: `make lab` (set up and open the course), `make test` (set up and pass every test).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
LAB_ARGS ?=

.PHONY: lab test test-fast notebooks benchmark help

help:
	@echo "make lab        set up .venv and open JupyterLab on the course (LAB_ARGS=... passes options)"
	@echo "make test       set up .venv and run every test (two processes)"
	@echo "make test-fast  the tests that take no notebook execution or grading (inner loop, < 1 min)"
	@echo "make notebooks  rebuild solutions/*.ipynb, student notebooks/ and visible-test fixtures"
	@echo "make benchmark  time notebook execution, grading and widget updates"

# The environment is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is needed, found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable ".[test]"
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(LAB_ARGS)

test: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) -m grader release

benchmark: $(STAMP)
	$(PY) -m grader benchmark
