# Two commands: `make run` starts everything, `make test` runs the suite.
VENV ?= $(HOME)/.cache/lumen-dam/venv
export LUMEN_VENV := $(VENV)
PY := $(VENV)/bin/python

.PHONY: run test install bench
install:
	@scripts/bootstrap.sh >/dev/null

run: install
	$(PY) manage.py runstack

test:
	@scripts/bootstrap.sh --test >/dev/null
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/ingest.py
