# Roomclaim. `make run` serves it on 127.0.0.1:8000 with nothing else installed;
# `make test` runs the whole suite (SQLite pass, then PostgreSQL + Redis pass).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/roomclaim
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run system test test-sqlite test-postgres test-faults lint audit bench bench-quick messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	@echo "Serving on http://127.0.0.1:8000; the sweeper and the outbox run inside it, mail prints here."
	EMBEDDED_WORKERS=true $(BIN)/daphne --no-server-name -b 127.0.0.1 -p 8000 config.asgi:application

test: test-sqlite test-postgres

# What only the system can give (Chromium, slapd, nginx, gettext, pgbench, the npm
# packages): .ci/system installs what is missing, or names it in one line.
system:
	bash .ci/system

# The SQLite defaults (what `make run` uses): everything but the real-concurrency tests.
test-sqlite: $(VENV)/.installed-dev system
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -m "not postgres" --ignore=tests/faults

# PostgreSQL + Redis: the whole suite again, races and browsers included.
test-postgres: $(VENV)/.installed-dev system
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(BIN)/pytest --ignore=tests/faults

# Faults on purpose: its own Redis, a proxy in front of PostgreSQL, two servers under
# load; Redis killed and frozen, PostgreSQL cut, a server killed and one frozen.
test-faults: $(VENV)/.installed-dev system
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(BIN)/pytest tests/faults

# Style (ruff), and the arrows between apps and layers (import-linter, pyproject.toml).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Known vulnerabilities in requirements.txt (pip-audit); says so plainly when the
# advisory database cannot be reached (exit 2), rather than reporting none.
audit: $(VENV)/.installed-dev
	bash .ci/audit

bench: $(VENV)/.installed-dev system
	$(BIN)/python -m bench

bench-quick: $(VENV)/.installed-dev system
	$(BIN)/python -m bench --quick

# The translations (docs/languages.md): gather every marked string into each language's
# catalogues under locale/, keeping what is translated, then compile them for Django.
MESSAGES_SKIP := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=bench \
	--ignore=tests --ignore='*/tests/*' --ignore=deploy
messages: $(VENV)/.installed-dev system
	$(BIN)/python manage.py makemessages --all --no-obsolete --add-location=file $(MESSAGES_SKIP)
	$(BIN)/python manage.py makemessages --all --no-obsolete --add-location=file -d djangojs $(MESSAGES_SKIP)
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 test-artifacts
