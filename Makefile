# make run | make test | make bench — each creates its virtual environment when missing.
SHELL := /bin/bash

# The Pythons that actually start (pyenv shims for inactive versions exist but fail):
# the newest runs the app, the benchmarks and every test; the oldest supported (3.11, since
# the README promises "Python 3.11 or newer") runs the algorithm and window tests.
define find_python
$(shell for v in $(1); do \
	  for p in python$$v $$HOME/.pyenv/versions/$$v*/bin/python$$v; do \
	    if command -v $$p >/dev/null 2>&1 && $$p -c 'import venv, ensurepip' >/dev/null 2>&1; then \
	      echo $$p; exit 0; fi; done; done; echo python3)
endef
PYTHON ?= $(call find_python,3.14 3.13 3.12 3.11)
OLDEST ?= $(call find_python,3.11 3.12 3.13 3.14)

VENV   := .venv
PY     := $(VENV)/bin/python
OLD    := .venv-oldest
OLD_PY := $(OLD)/bin/python

.PHONY: run test test-newest test-oldest bench lint mutate clean

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

$(OLD)/.made-test: pyproject.toml
	test -x $(OLD_PY) || $(OLDEST) -m venv $(OLD)
	$(OLD_PY) -m pip install -q --upgrade pip
	$(OLD_PY) -m pip install -q -e '.[test]'
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

# tests/run.py: each Qt test file in a process of its own (see its docstring).
test: lint test-newest test-oldest

test-newest: $(VENV)/.made-test
	@echo "== tests on $$($(PY) --version)"
	$(PY) tests/run.py

# The oldest runs the algorithm tests and the window and every-panel tests (--smoke, see
# tests/run.py); skipped when the oldest Python found is the newest one.
test-oldest:
	@if [ "$$($(OLDEST) --version 2>&1)" = "$$($(PY) --version 2>&1)" ]; then \
	  echo "== only one Python here: tests ran once"; else \
	  $(MAKE) --no-print-directory $(OLD)/.made-test && \
	  echo "== tests on $$($(OLD_PY) --version)" && \
	  $(OLD_PY) tests/run.py --smoke; fi

bench: $(VENV)/.made-bench
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

# Mutation testing of algorithms/ (slow: tens of minutes); see [tool.mutmut].
mutate: $(VENV)/.made-test
	$(PY) -m pip install -q 'mutmut>=3.3'
	$(VENV)/bin/mutmut run; $(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) $(OLD) build *.egg-info .pytest_cache .ruff_cache mutants
