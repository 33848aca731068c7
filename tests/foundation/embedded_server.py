"""The embedded set-up as ``make run`` starts it, for tests: ``manage.py run_embedded`` in a process of
its own, on a SQLite *file*.

Why a file and a process: the tests' SQLite database lives in memory with a shared cache, where
connections lock whole tables and never wait (``database table is locked``), and the live server
of pytest-django shares the test's one connection with its threads. Neither locks like the file a
user's ``make run`` writes to, with several connections (the server's threads, the scheduler)
contending for its write lock. So the test's committed data is copied (SQLite's backup API) into a
file, and the real server runs on it with the real settings (WAL, busy timeout, ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection


def sqlite_file_copy(path: Path) -> Path:
    """Copy the test database (committed rows: use ``transactional_db``/``live_db``) into ``path``."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EmbeddedServer:
    """``run_embedded`` on ``database`` (a SQLite file), started on the tests' clock, stopped with Ctrl-C."""

    def __init__(self, database: Path, logs: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path, self.stderr_path = logs / "stdout.txt", logs / "stderr.txt"
        env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
        env.update({"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "ville_hopital.settings"})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.clock", "manage", "run_embedded", f"127.0.0.1:{self.port}",
             "--noreload", "--skip-checks", *extra],
            env=env, cwd=str(settings.BASE_DIR),
            stdout=self.stdout_path.open("w"), stderr=self.stderr_path.open("w"),
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"run_embedded exited early ({self.process.returncode}):\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health/", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.process.kill()
        raise AssertionError(f"run_embedded did not answer within {timeout:.0f} s:\n{self.output()}")

    def stop(self) -> int:
        """Ctrl-C, as a user stops ``make run``; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def output(self) -> str:
        return f"--- stdout\n{self.stdout()}\n--- stderr\n{self.stderr()[-5000:]}"
