# Chinese news framing analysis. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

BOOT_PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
RUN := PYTHONPATH=$(CURDIR) $(PY)
INPUT ?= seeds
OUTPUT ?= outputs
JOBS ?=
STORY ?=
TEST_WORKERS ?= 2   # pytest-xdist processes for make test (a test file stays in one process)

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  /' -e 's/: /\t/' | expand -t 16

## setup: create .venv from the pinned versions in requirements.lock (when missing or stale)
setup: $(INSTALLED)

$(INSTALLED): requirements.lock pyproject.toml
	@test -n "$(BOOT_PYTHON)" || { echo "error: Python 3.11 not found" >&2; exit 1; }
	@test -x $(PY) || $(BOOT_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(PY) -m pip check --disable-pip-version-check
	@# the package importable from anywhere with this venv (notebooks, scripts): a .pth, no build step
	$(PY) -c 'import site, sys; open(site.getsitepackages()[0] + "/zh_framing.pth", "w").write(sys.argv[1] + "\n")' "$(CURDIR)"
	@touch $@

## pipeline: run every stage on seeds/ into outputs/ (does nothing when outputs/ is up to date, by content)
pipeline: $(INSTALLED)
	@# up to date: the hashes in run.json (input, story, code, requirements.lock, every stage's manifest)
	@# match, and every output is there; file times are not trusted (cp -p, a restored backup)
	@if why=$$($(RUN) -c 'import sys, pipeline.outdir as o; sys.exit(o.main())' --input "$(INPUT)" --output "$(OUTPUT)" $(if $(STORY),--story "$(STORY)")); then \
	  echo "$(OUTPUT)/ is up to date with $(INPUT)/ and the code"; \
	else \
	  echo "$$why: running the pipeline"; \
	  $(RUN) -m pipeline run --input "$(INPUT)" --output "$(OUTPUT)" $(if $(JOBS),--jobs $(JOBS)) $(if $(STORY),--story "$(STORY)"); \
	fi

## test: run the test suite (unit, snapshot, property, notebook and browser tests)
test: $(INSTALLED) browser
	$(RUN) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

## browser: install headless Chromium for the report's browser test, where it is missing and apt-get runs as root
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Chromium (Debian's package) for the report's browser test"; \
	    { timeout 900 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium; } \
	      >/dev/null 2>&1 || echo "could not install Chromium: the browser test will be skipped"; \
	  else echo "no Chromium, and apt-get cannot run here: the browser test will be skipped"; fi; }

## test-fast: the unit tests alone (no whole-pipeline runs, notebooks or reliability scenarios)
test-fast: $(INSTALLED)
	$(RUN) -m pytest -q -m "not slow"

## notebooks: open the notebooks in Jupyter (run `make pipeline` first; they read outputs/)
notebooks: $(INSTALLED)
	cd notebooks && PYTHONPATH=$(CURDIR) ../$(PY) -m notebook

## snapshots: rewrite tests/snapshots/ from the current code (then review `git diff tests/snapshots`)
snapshots: $(INSTALLED)
	$(RUN) -m pytest -q --update-snapshots
	@git --no-pager diff --stat -- tests/snapshots || true

## benchmarks: run the benchmark and evaluation scripts on ../shared/eval (slow; prints figures; build_* scripts rebuild resources and are run by hand)
benchmarks: $(INSTALLED)
	@for b in benchmarks/*.py; do case $$b in */build_*) continue;; esac; echo "== $$b"; $(RUN) $$b; done

## clean: remove outputs/ (keeps .venv)
clean:
	rm -rf $(OUTPUT)

.PHONY: help setup pipeline test browser test-fast notebooks snapshots benchmarks clean
