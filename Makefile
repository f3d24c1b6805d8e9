# make run | make test | make bench — each creates .venv when it is missing.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python

# The newest python3.1x (3.11 or later) that actually starts: pyenv shims for
# versions that are not active exist but fail, so each candidate is tried.
PYTHON ?= $(shell for v in 3.14 3.13 3.12 3.11; do \
	  for p in python$$v $$HOME/.pyenv/versions/$$v*/bin/python$$v; do \
	    if command -v $$p >/dev/null 2>&1 && $$p -c 'import venv, ensurepip' >/dev/null 2>&1; then \
	      echo $$p; exit 0; fi; done; done; echo python3)

.PHONY: run test bench lint clean

$(VENV)/.made-run: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.made-test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(VENV)/.made-bench: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[bench]'
	touch $@

run: $(VENV)/.made-run
	$(PY) main.py

lint: $(VENV)/.made-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(VENV)/.made-bench
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
