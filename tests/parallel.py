"""Parallel runs (pytest-xdist): each worker gets a Redis database of its own.

pytest-django already gives each xdist worker its own test database (``test_…_gw0``…); the Celery
broker would still be shared, and a worker process started by one xdist worker could take the
tasks queued by another (and run them against the wrong database). Loaded with ``-p`` (see
``pyproject.toml``), before Django reads its settings, it moves ``REDIS_URL`` to database
1 + the worker's number; a run without xdist keeps the URL it was given.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def _own_redis_database() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL", "")
    if worker.startswith("gw") and url:
        os.environ["REDIS_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{1 + int(worker[2:])}"))


_own_redis_database()
