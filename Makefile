# frmr-sso developer entry points. CI runs `make test` (see .ci/run).
#   make venv   create .venv and install exactly the lock (requirements/dev.txt), then the project
#   make lock   bring requirements/*.txt in line with pyproject.toml, keeping every pin that still fits
#   make lock-upgrade  re-resolve to the newest releases the ranges allow (then make test decides)
#   make run    broker on 127.0.0.1:8000 + mock ESIA on 127.0.0.1:8001 (embedded stores)
#   make test   lint and the whole suite on SQLite+memory and on PostgreSQL+Redis, all at once
#               (extra pytest arguments: make test ARGS='-x tests/unit')
#   make test-fast  the suite on SQLite+memory only, no lint, no servers (everyday work)
#   make run    extra arguments for `frmr-sso demo`: make run ARGS="--port 18000 --esia-port 18001"
#   make lint   ruff + mypy
#   make sbom   CycloneDX SBOM (JSON) of the runtime lock, requirements/runtime.txt (SBOM=path to change where)
#   make clean  remove the venv, caches and build output

# The Python the lock was resolved for (.python-version); make refuses any other minor version.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv install lock lock-upgrade run test test-fast lint sbom clean

venv: $(STAMP)
install: $(STAMP)

# Every package comes from the lock with its hash (--require-hashes); the project itself is installed
# without dependencies and without build isolation, so its build backend is the locked hatchling too.
$(STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "make: Python 3.11 is required (the lock is resolved for it); set PYTHON=...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

# The lock is requirements/{runtime,dev}.txt, resolved by uv (itself locked in requirements/uv.txt) with
# hashes and without any index URL or local path. `make lock` after a change to pyproject.toml adds or drops
# what changed and keeps every other pin; `make lock-upgrade` is the deliberate upgrade, taken only if
# `make test` passes with it.
LOCK_FLAGS := --generate-hashes --python-version 3.11 --no-emit-index-url --no-emit-find-links
lock-upgrade: LOCK_FLAGS += --upgrade
lock lock-upgrade:
	test -x .lockenv/bin/uv || { $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet --require-hashes -r requirements/uv.txt; }
	.lockenv/bin/uv pip compile $(LOCK_FLAGS) pyproject.toml requirements/build.in -o requirements/runtime.txt
	.lockenv/bin/uv pip compile $(LOCK_FLAGS) --extra dev pyproject.toml requirements/build.in -o requirements/dev.txt

run: venv
	$(BIN)/frmr-sso demo $(ARGS)

test: venv
	bash scripts/test.sh $(ARGS)

test-fast: venv
	SKIP_LINT=1 BACKENDS=embedded bash scripts/test.sh $(ARGS)

# mypy without arguments checks the packages listed in pyproject.toml (frmr_sso and mock_esia).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

# The SBOM lists every package of the runtime lock with its version and hashes; the root component
# (name, version, licence) comes from pyproject.toml. Reproducible: no timestamp, no random serial number.
SBOM ?= build/sbom.cdx.json
sbom: venv
	mkdir -p $(dir $(SBOM))
	$(BIN)/cyclonedx-py requirements --pyproject pyproject.toml --output-reproducible --of JSON \
		-o $(SBOM) requirements/runtime.txt

clean:
	rm -rf $(VENV) .lockenv var build dist .pytest_cache .mypy_cache .ruff_cache artefacts
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +
