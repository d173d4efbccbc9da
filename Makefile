# lms — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := LMS_ENV=$${LMS_ENV:-development} $(BIN)/flask --app lms
HOST ?= 127.0.0.1
PORT ?= 5000
# axe-core for the accessibility test, from npm (tests/e2e/package-lock.json).
AXE := tests/e2e/node_modules/axe-core/axe.min.js

.PHONY: run test install install-test translations lint messages clean bench bench-national

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations $(AXE)

$(AXE): tests/e2e/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility test will skip (CI installs npm)"; fi

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d lms/translations 2>/dev/null

run: install
	$(FLASK) db upgrade
	$(FLASK) courses sync
	$(FLASK) demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

# Refresh the English catalogue after changing user-facing strings.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k mark -o lms/translations/messages.pot .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Benchmarks in bench/ (BENCH name value unit lines); e.g. BENCH_ARGS="--rows 5000".
bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)

# PostgreSQL at national size (not in CI; needs Debian's postgresql, ~15 min, ~6 GB disk):
# a throwaway cluster, or LMS_BENCH_DATABASE_URL=postgresql+psycopg://… (an empty database).
bench-national: install-test
	$(BIN)/python -m bench.national $(BENCH_ARGS)
