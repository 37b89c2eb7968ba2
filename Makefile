# Two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup native check lint typecheck pytest pytest-postgres bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,server]"
	$(MAKE) native
	touch $(STAMP)

## The Squid helper's compiled fast path (mypyc + hotpath.c); pure Python if absent or stale.
native:
	$(BIN)/python -m safesocial.enforce.build_native || echo "compiled helper fast path not built; pure Python will be used"
	$(BIN)/python -m safesocial.monitoring.engine.build_native || echo "compiled monitoring scanner not built; the SQL parser will be used"

setup: $(STAMP)

## make demo: set up, load the demo school, run the worker and serve http://127.0.0.1:8000
demo: setup
	$(BIN)/safesocial migrate --noinput -v0
	$(BIN)/safesocial load-demo
	@echo "Serving http://127.0.0.1:8000 (Ctrl-C stops the server and the worker); mail goes to var/mail/"
	@$(BIN)/safesocial worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/safesocial runserver 127.0.0.1:8000 --noreload

## make test: every check and the whole suite, on SQLite and (when installed) PostgreSQL
test: setup lint typecheck check pytest pytest-postgres

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy safesocial

check: setup
	$(BIN)/safesocial makemigrations --check --dry-run
	SAFESOCIAL_PRODUCTION=true SAFESOCIAL_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  SAFESOCIAL_ALLOWED_HOSTS=school.example DATABASE_URL=sqlite:///$(CURDIR)/var/check.sqlite3 \
	  $(BIN)/safesocial check --deploy --fail-level WARNING

pytest: setup
	$(BIN)/pytest

pytest-postgres: setup
	$(BIN)/python scripts/with_postgres.py $(BIN)/pytest -m "not browser and not integration" -p no:cacheprovider

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
