# The two commands of the README: `make run` (embedded default) and `make test` (lint + whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
SYSTEM_PACKAGES := chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

.PHONY: install system-deps run test lint migrate seed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --python $(PY) -q -r pyproject.toml --extra dev
	touch $@

install: $(VENV)/.installed

# Browser tests need Debian's Chromium, PDF tests need poppler and Pango: install what is missing.
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install: sudo apt-get install $$missing"; exit 1; fi; fi

migrate: install
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py load_geography

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(PY) manage.py runserver $(HOST)

lint: install
	$(VENV)/bin/ruff check .

test: install system-deps lint
	$(PY) -m pytest $(PYTEST_ARGS)
