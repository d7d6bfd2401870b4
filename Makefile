# Two set-up commands that work on a fresh machine (see README):
#   make demo   create .venv, install speechwatch, crawl the bundled sample web into ./data/speechwatch.db
#   make test   create .venv with the dev extra and run the whole pytest suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test test-postgres lint clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "speechwatch needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e ".[dev,postgres,redis]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/speechwatch demo

test: $(VENV)/.installed-dev
	$(BIN)/pytest

# The storage, dedup, commitments, search and scheduler tests again with PostgreSQL as the default store
# (each test creates and drops its own UTF-8 database on this server; they skip with a reason if it is absent).
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PG_TESTS ?= tests/storage tests/monitor/dedup tests/monitor/commitments tests/monitor/schedule
test-postgres: $(VENV)/.installed-dev
	SPEECHWATCH_DB=$(PG_URL) $(BIN)/pytest $(PG_TESTS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) data .pytest_cache
