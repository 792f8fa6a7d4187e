# Quick start: `make lab` (set up and open the notebooks), `make test` (set up and pass every test).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
LAB_ARGS ?=
# The notebooks' language: en (notebooks/), or a translation (zh: zh/notebooks/, README "The course in Chinese").
# Read from the command line only: an environment's LANGUAGE is gettext's list of locales (en_US:en), not ours.
ifneq ($(origin LANGUAGE),command line)
LANGUAGE := en
endif
$(if $(filter en zh,$(LANGUAGE)),,$(error LANGUAGE must be en or zh, got $(LANGUAGE)))
LAB_ROOT := $(if $(filter en,$(LANGUAGE)),notebooks,$(LANGUAGE)/notebooks)
# Jupyter refuses to start as root unless told: as root (a container, a VM's only account), tell it.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab instructor test test-fast notebooks translations bundle benchmark cluster-demo help

help:
	@echo "make lab        set up .venv and open JupyterLab on notebooks/, as a student (LAB_ARGS=... passes options;"
	@echo "                LANGUAGE=zh: the notebooks in Chinese, zh/notebooks/)"
	@echo "make instructor open JupyterLab on the course root with nbgrader's formgrader"
	@echo "make test       set up .venv and run every test (three processes: grading tests often wait on kernels)"
	@echo "make test-fast  the tests that take no notebook execution or grading (inner loop, < 1 min)"
	@echo "make notebooks  rebuild solutions/*.ipynb, student notebooks/ and visible-test fixtures"
	@echo "make translations  bring locale/*/LC_MESSAGES/*.po up to date with the English sources (then translate)"
	@echo "make bundle     build the student bundle (notebooks, cnn_course wheel, README) in dist/student-bundle"
	@echo "make benchmark  time check and grading, quiet and beside a CPU hog, and widget updates"
	@echo "make cluster-demo  a Dask scheduler and two workers on 127.0.0.1:8786, to grade with --scheduler"

# The environment is rebuilt when pyproject.toml changes. Every Jupyter server of .venv, wherever it is started
# (make lab, make instructor, plain .venv/bin/jupyter lab), loads grader.formgrader_csp (lab/server/): formgrader's
# pages escaped and its grading view under a strict policy (an editable install would not install a data file).
$(STAMP): pyproject.toml lab/server/cnn_course.json
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is needed, found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable ".[test]"
	@mkdir -p $(VENV)/etc/jupyter/jupyter_server_config.d
	@cp lab/server/cnn_course.json $(VENV)/etc/jupyter/jupyter_server_config.d/cnn_course.json
	@touch $(STAMP)

# The student face: rooted at notebooks/ (solutions/ and grader/ are out of the file browser's reach),
# nbgrader's instructor extensions off (lab/student/, found first on JUPYTER_CONFIG_PATH).
lab: $(STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/lab/student$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)/$(LAB_ROOT)" $(ROOT_ARGS) $(LAB_ARGS)

# The instructor face: the course root (nbgrader_config.py) with formgrader; lab/instructor/ quiets its dialogs.
# First a warning (with the chmod that fixes it) when other accounts can read solutions/, grader/ or the grades.
instructor: $(STAMP)
	@$(PY) -m grader.permissions "$(CURDIR)"
	CNN_COURSE_LANGUAGE=$(LANGUAGE) JUPYTER_CONFIG_PATH="$(CURDIR)/lab/instructor$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ROOT_ARGS) $(LAB_ARGS)

test: $(STAMP)
	$(PY) -m pytest -n 3 --dist loadgroup $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -m "not slow" $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) -m grader build

translations: $(STAMP)
	$(PY) -m grader translations

bundle: $(STAMP)
	$(PY) -m grader bundle --language $(LANGUAGE) $(BUNDLE_ARGS)

benchmark: $(STAMP)
	$(PY) -m grader benchmark

# A Dask scheduler and two one-thread workers on this machine (README: Grading on a cluster); Ctrl-C stops them.
cluster-demo: $(STAMP)
	@echo "In another shell: .venv/bin/python -m grader grade SUBMISSIONS --scheduler tcp://127.0.0.1:8786"
	$(VENV)/bin/dask scheduler --host 127.0.0.1 --port 8786 --no-dashboard & scheduler=$$!; \
	  trap 'kill $$scheduler' EXIT; \
	  $(VENV)/bin/dask worker tcp://127.0.0.1:8786 --nworkers 2 --nthreads 1 --no-dashboard
