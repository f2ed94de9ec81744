# StepWise: two commands. `make run` serves the demo; `make test` runs the whole suite.
# Needs Python 3.11+ and Node/npm (Bootstrap is installed from npm and served by the app).

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails and in seed_demo's summary point at the server `make run` starts.
SITE_URL ?= http://$(HOST):$(PORT)
SIZE ?= large
# Active plans the weekly-pass benchmark seeds (make bench-weekly).
PLANS ?= 200000
PYTEST_ARGS ?=
# The pictures the README shows, by the paths its <img> tags name.
README_PICTURES := $(sort $(shell grep -o 'docs/img/[A-Za-z0-9_.-]*\.png' README.md))

.PHONY: run test install install-dev assets lint format bench bench-weekly bench-db-writes check-python check-port screenshots clean messages

check-python:
	@test -n "$(PYTHON)" || { echo "StepWise needs Python 3.11 or newer on PATH."; exit 1; }
	@command -v npm >/dev/null 2>&1 || { echo "StepWise needs Node.js and npm (for Bootstrap)."; exit 1; }

# Before anything is installed, migrated or seeded: a second `make run` stops in one sentence.
check-port: | check-python
	@$(PYTHON) infra/port_free.py $(HOST) $(PORT)

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed
assets: node_modules/.installed

run: export SITE_URL := $(SITE_URL)
run: check-port install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Two test processes (pytest-xdist), each with its own test database and Redis databases;
# a whole test file goes to one process. TEST_PROCESSES=0 runs the suite in this one process.
TEST_PROCESSES ?= 2
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

# What CI lints (.ci/run calls this); passes with the embedded defaults and with DATABASE_URL set.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/bandit -q -r infra recovery plans stepwise -ll -x '*/migrations/*'

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After marking or translating text (needs GNU gettext): collect every message into the Spanish
# catalogue, then compile it. The compiled .mo is committed, so `make run` needs no gettext.
MESSAGES_IGNORE := -i '.venv/*' -i 'node_modules/*' -i 'tests/*' -i 'benchmarks/*' \
	-i 'staticfiles/*' -i 'test-artifacts/*' -i 'media/*'
messages: install-dev
	$(BIN)/python manage.py makemessages -l es --no-obsolete $(MESSAGES_IGNORE)
	msgfmt --check -o locale/es/LC_MESSAGES/django.mo locale/es/LC_MESSAGES/django.po

bench: install-dev
	$(BIN)/python -m benchmarks.run --size $(SIZE)

# The weekly pass (close every finished week, claim every due reminder) at PLANS active plans: in
# one process, then with one and with two Celery worker processes (PostgreSQL on 127.0.0.1:5432,
# Redis database 12 on 127.0.0.1:6379 or BENCH_WEEKLY_REDIS). Writes benchmarks/results/weekly.md.
# `make bench` measures the pages; this one seeds a database of its own.
bench-weekly: install-dev
	$(BIN)/python -m benchmarks.weekly --plans $(PLANS)

# Log POSTs per second at PostgreSQL alone: pgbench running the statements one log POST issues
# (captured from the app), on the database `make bench` seeded (large).
bench-db-writes: install-dev
	$(BIN)/python -m benchmarks.pgbench_log

# The browser tests photograph pages into test-artifacts/ (git-ignored), so `make test` never
# touches docs/img/. This reruns the tests marked readme_picture and copies the README's pictures
# into docs/img/ (a picture no test took any more stops it at `cp`).
screenshots: install-dev
	rm -f $(README_PICTURES:docs/img/%=test-artifacts/%)
	$(BIN)/python -m pytest -p no:cacheprovider -m readme_picture tests/e2e $(PYTEST_ARGS)
	cp $(README_PICTURES:docs/img/%=test-artifacts/%) docs/img/

# Everything the Makefile, the tests and the benchmarks make, and nothing that is committed.
clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 media .pytest_cache .ruff_cache .hypothesis \
		test-artifacts benchmarks/results/*.tmp
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
