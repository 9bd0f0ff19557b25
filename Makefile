# frmr-sso developer entry points. CI runs `make test` (see .ci/run).
#   make venv   create .venv and install the project with dev extras
#   make run    broker on 127.0.0.1:8000 + mock ESIA on 127.0.0.1:8001 (embedded stores)
#   make test   lint, then the whole suite on SQLite+memory and on PostgreSQL+Redis
#               (extra pytest arguments: make test ARGS='-x tests/unit')
#   make lint   ruff + mypy
#   make clean  remove the venv, caches and build output

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv run test lint clean

venv: $(STAMP)

# Reinstall only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: venv
	$(BIN)/frmr-sso demo

test: venv
	bash scripts/test.sh $(ARGS)

# mypy without arguments checks the packages listed in pyproject.toml (frmr_sso and mock_esia).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var build dist .pytest_cache .mypy_cache .ruff_cache artefacts
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +
