"""The tests' clock: time is an input.

By default the suite runs on the real clock (so every run is also a run "on some day of the
year"). ``--today=2026-12-31`` (or ``--today=2027-03-28T01:30``, Europe/Paris) moves the clock of
the whole run to that instant with time-machine, ticking from there: the test process, the
live-server threads, the Celery worker processes the tests start (``python -m tests.clock celery …``)
and Chromium's clock (Playwright's ``clock.install``) all agree. ``make test-dates`` runs the suite
at the hard dates (New Year's Eve, New Year's Day, both DST Sundays, 29 February).

A test that fails says the date it ran on (a "clock" section in its report), so a failure that
only happens in January reads as such.

Loaded as a plugin from ``tests/conftest.py``; tests that need one fixed instant still pin it
themselves with ``time_machine.travel`` (the innermost travel wins).
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

PARIS = ZoneInfo("Europe/Paris")
# Seconds between the moved clock and the real one, passed to the processes the tests start.
OFFSET_ENV = "VH_TEST_CLOCK_OFFSET"
# The hard dates of `make test-dates` (kept here so the Makefile and the docs name one list).
HARD_DATES = ("2026-12-31T10:00", "2027-01-01T09:00", "2027-03-28T01:30", "2027-10-31T02:30", "2028-02-29T09:00")

_traveller = None


def parse_instant(value: str) -> datetime:
    """An ISO date or date-time, read in Europe/Paris (a date means 09:00 that day)."""
    try:
        moment = datetime.fromisoformat(value if "T" in value else f"{value}T09:00")
    except ValueError as error:
        raise pytest.UsageError(f"--today: {value!r} is not an ISO date (YYYY-MM-DD[THH:MM])") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _start(offset_seconds: float) -> None:
    """Move this process's clock by ``offset_seconds``, ticking (time keeps flowing)."""
    global _traveller
    import time_machine

    _traveller = time_machine.travel(time.time() + offset_seconds, tick=True)
    _traveller.start()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--today", default=None, metavar="ISO",
        help="move the clock of the whole run to this Europe/Paris date or date-time (time-machine, ticking)",
    )


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("--today")
    if value:
        offset = parse_instant(value).timestamp() - time.time()
        os.environ[OFFSET_ENV] = str(offset)
        _start(offset)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def moved() -> bool:
    return _traveller is not None


def now_label() -> str:
    origin = "moved with --today" if moved() else "real clock"
    return f"{datetime.now(PARIS):%A %Y-%m-%d %H:%M} Europe/Paris ({origin})"


def pytest_report_header(config: pytest.Config) -> str:
    return f"clock: {now_label()}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed:
        report.sections.append(("clock", f"this test ran on {now_label()}"))
    return report


def browser_follows(context) -> None:
    """A Chromium context's clock follows the moved clock (a no-op on the real one)."""
    if moved():
        context.clock.install(time=datetime.now(PARIS))


@pytest.fixture
def browser_clock(context) -> None:
    """Chromium's clock follows the moved clock (a no-op on the real one)."""
    browser_follows(context)


def start_from_env() -> None:
    """In a process a test started: follow the run's moved clock, if it was moved."""
    offset = os.environ.get(OFFSET_ENV)
    if offset:
        _start(float(offset))


def main() -> None:
    """``python -m tests.clock <module> [args…]``: run a module (e.g. ``celery``) on the tests' clock."""
    start_from_env()
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
