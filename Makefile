# Quick start: `make demo`, then `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test unit lint e2e bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

# The test command: static checks, then every test (e2e skips with a reason
# when no Docker engine answers, unless E2E_REQUIRED=1).
test: lint unit

unit: $(STAMP)
	$(PY) -m pytest

# Every workflow file in the repo: the examples users copy, any of our own, and the
# ones the act test runs.
WORKFLOWS = $(sort $(wildcard examples/workflows/*.yml .github/workflows/*.yml tests/e2e/workflows/*.yml))

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict publisher entrypoint.py emulator
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/zizmor --offline --quiet $(WORKFLOWS)
	bash -n tests/e2e/setup.sh
	bash -n .ci/run

# Only the container and act tests (needs an engine: `tests/e2e/setup.sh` as root).
e2e: $(STAMP)
	E2E_REQUIRED=1 $(PY) -m pytest -m e2e tests/e2e

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
