"""A real gunicorn on the test database (PostgreSQL, committed data: use ``live_db``), in a process of
its own and on the tests' clock, for what happens between the server and what it depends on:
Redis away (``test_redis_away``), the database dropping its connections (``test_database_dropped``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.foundation.embedded_server import free_port


def current_database_url() -> str:
    """``DATABASE_URL`` of the test database this process uses."""
    db = connection.settings_dict
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


class Gunicorn:
    """``gunicorn ville_hopital.wsgi``, one sync worker, with the real settings and ``env`` on top
    (``REDIS_URL``, ``CONN_MAX_AGE``…); ready once ``/health/`` answered (kept in ``health``)."""

    def __init__(self, logs: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ, "DATABASE_URL": current_database_url(), "DJANGO_SETTINGS_MODULE": "ville_hopital.settings", **env,
        }
        self.log = logs / "gunicorn.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.clock", "gunicorn", "ville_hopital.wsgi", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1", "--timeout", "30"],
            env=environment, cwd=str(settings.BASE_DIR), stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )
        # The first request sets Django up in the worker: many seconds on a machine busy with the
        # other tests (this wait is start-up, not what the tests measure).
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health/", timeout=30) as answer:
                    self.health = answer.read().decode()
                    return
            except (urllib.error.URLError, OSError):
                if self.process.poll() is not None:
                    raise AssertionError(self.log.read_text()) from None
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"gunicorn did not answer:\n{self.log.read_text()}")

    def get(self, path: str) -> tuple[int, str]:
        """Status and body of ``GET path`` (an error status is returned, not raised)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=60) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
