# The two commands of the README: `make run` (embedded default) and `make test` (lint + whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOST ?= 127.0.0.1:8000
SYSTEM_PACKAGES := chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core libreoffice-calc-nogui nginx-light
# uv itself is pinned by the lock file (dev extra); this is only the bootstrap copy that reads it.
UV_BOOTSTRAP := uv==0.13.9
# Parallel test processes (pytest-xdist): one per core; each gets its own database and Redis database.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The hard dates of `make test-dates` (tests/clock.py: HARD_DATES): New Year's Eve and Day, the two
# DST Sundays (the night of the change included), a 29 February.
HARD_DATES := 2026-12-31T10:00 2027-01-01T09:00 2027-03-28T01:30 2027-10-31T02:30 2028-02-29T09:00
# The test modules that read the clock themselves (now, today, localdate, localtime, or the factories'
# in_days / from_now): found afresh at each run, so a new module is covered without a list to keep.
CLOCK_PATTERN := timezone\.now\(|date\.today\(|localdate\(|localtime\(|datetime\.now\(|in_days\(|from_now\(
DATE_TESTS ?= $(shell grep -rlE '$(CLOCK_PATTERN)' tests --include='test_*.py' | sort)

.PHONY: install system-deps run test test-suite test-dates test-flaky lint migrate seed

# The project's packages (compiled at install, with the dependencies, below).
APPS := accounts dashboards establishments missions notifications professionals reference territories ville_hopital tests bench
# Installs exactly the versions of uv.lock (`uv sync --frozen` fails rather than re-resolve).
# Compiled to bytecode at install: where PYTHONDONTWRITEBYTECODE is set (these machines, most CI
# images), every process would otherwise compile Django, Celery and WeasyPrint from source at start
# (~2.3 s each: the test run starts dozens, the real workers and servers included).
$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(PY) || python3 -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install -q --disable-pip-version-check $(UV_BOOTSTRAP)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --extra dev --python $(PY) -q --compile-bytecode
	$(PY) -m compileall -q -j 0 $(APPS) >/dev/null
	touch $@

install: $(VENV)/.installed

# Browser tests need Debian's Chromium, PDF tests need poppler and Pango, the CSV export test
# LibreOffice Calc (headless): install what is missing.
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install: sudo apt-get install $$missing"; exit 1; fi; fi

migrate: install
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py load_geography

seed: migrate
	$(PY) manage.py seed_demo --base-url http://$(HOST)

run: seed
	$(PY) manage.py run_embedded $(HOST)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# The whole suite on the real clock, then the clock-reading modules at each hard date.
test: install system-deps lint test-suite test-dates

# The test databases are created afresh, then kept for `test-dates` (--reuse-db still migrates).
test-suite: install
	$(PY) -m pytest -n $(JOBS) --create-db --reuse-db $(PYTEST_ARGS)

test-dates: install
	@for day in $(HARD_DATES); do \
	  echo "== tests on $$day (Europe/Paris)"; \
	  $(PY) -m pytest -n $(JOBS) -q --reuse-db --today=$$day $(DATE_TESTS) $(PYTEST_ARGS) || exit $$?; \
	done

# Browser journeys and real-worker tests, five times in a row (flakiness check; not part of `make test`).
test-flaky: install system-deps
	@for round in 1 2 3 4 5; do \
	  echo "== round $$round/5"; \
	  $(PY) -m pytest -n $(JOBS) -q -m "browser or celery_worker" $(PYTEST_ARGS) || exit $$?; \
	done
