PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench docs clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hanano demo

lint: $(STAMP)
	$(BIN)/ruff check hanano tests bench
	$(BIN)/ruff format --check hanano tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs once on SQLite and, when HANANO_TEST_DATABASE_URL is set, on PostgreSQL too, the
# two at once (each test has its own store, so the runs never meet); the PostgreSQL run's output
# follows the SQLite run's.
unit: $(STAMP)
	@if [ -n "$$HANANO_TEST_DATABASE_URL" ]; then \
	  HANANO_TEST_BACKEND=postgresql $(BIN)/pytest -q -p no:cacheprovider > .pytest-postgresql.out 2>&1 & pg=$$!; \
	  HANANO_TEST_BACKEND=sqlite $(BIN)/pytest -q -p no:cacheprovider; lite=$$?; \
	  wait $$pg; pgrc=$$?; \
	  echo "--- the same suite on PostgreSQL ---"; cat .pytest-postgresql.out; \
	  test $$lite -eq 0 && test $$pgrc -eq 0; \
	else \
	  HANANO_TEST_BACKEND=sqlite $(BIN)/pytest -q; \
	  echo "HANANO_TEST_DATABASE_URL unset: PostgreSQL run skipped"; \
	fi

test: lint typecheck unit

# The references in docs/ are generated from the code; tests/test_docs.py fails when they differ.
docs: $(STAMP)
	$(BIN)/hanano events --format markdown > docs/events.md
	$(BIN)/hanano settings --format markdown > docs/settings.md
	$(BIN)/hanano commands --format markdown > docs/cli.md

bench: $(STAMP)
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
