"""The embedded set-up's Celery beat: the periodic jobs of ``beat_schedule`` run in this process.

Without ``REDIS_URL`` (``make run``) there is no broker, so no ``celery beat`` and no worker: tasks
run eagerly where they are queued, and nothing would ever start the scheduled ones. ``manage.py
run_embedded`` starts this scheduler beside the web server so that they run as they do in
production: the nightly matching at 02:00, the urgent waves' safety net every 5 minutes, expiries,
unfilled-shift alerts, digests, contract flags.

One source of truth: the jobs are ``app.conf.beat_schedule`` (``ville_hopital.celery``), each held in
Celery's own ``ScheduleEntry``, and whether one is due is Celery's answer (``is_due`` of its
crontab, in ``CELERY_TIMEZONE``). A due job runs with ``Task.apply`` in the scheduler's thread, one
at a time; it is logged, and one that raises is logged with its traceback while the others go on
(it runs again at its next time, as under beat). Each run gets a fresh database connection.

At start, every job that fell due during the last ``catch_up`` runs at once: the frequent safety
nets (an urgent wave whose time passed while nothing ran goes out now) and a daily job whose hour
passed less than ``catch_up`` ago. A daily job missed by more than that (the laptop was off at
02:00) waits for its next time; ``manage.py matching_run`` runs the matching by hand.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

from celery import Celery
from celery.beat import ScheduleEntry
from django.db import connections

from ville_hopital.celery import app as celery_app

logger = logging.getLogger(__name__)

#: At start, what fell due this long ago or less runs at once.
CATCH_UP = timedelta(hours=1)
#: The scheduler looks again at least this often (a changed clock, a stop request).
MAX_SLEEP_SECONDS = 30.0


@dataclass(frozen=True)
class JobRun:
    """One run of a scheduled job: its beat name, the task, the outcome."""

    name: str
    task: str
    ok: bool
    result: Any
    seconds: float


class EmbeddedBeat:
    """Runs the due entries of ``app.conf.beat_schedule`` eagerly, from a background thread."""

    def __init__(self, app: Celery = celery_app, *, catch_up: timedelta = CATCH_UP) -> None:
        self.app = app
        # A worker imports every tasks module on start (autodiscovery); a web process only those its
        # code imported so far. Import the module of each scheduled task (``<module>.<function>``).
        for definition in app.conf.beat_schedule.values():
            import_module(definition["task"].rpartition(".")[0])
        since = app.now() - catch_up
        self.entries = {
            name: ScheduleEntry(name=name, app=app, last_run_at=since, **definition)
            for name, definition in app.conf.beat_schedule.items()
        }
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def next_runs(self) -> list[tuple[str, datetime]]:
        """Each job and when it is next due, to the second (now, for one already due), soonest first."""
        now = self.app.now()
        runs = []
        for name, entry in self.entries.items():
            due, seconds = entry.is_due()  # seconds from its own reading of the clock, a hair later
            # Celery's seconds are elapsed time: added in UTC, since adding to a Paris time is
            # wall-clock arithmetic and would put the next 02:00 at 03:00 across the autumn DST change.
            at = now if due else (now.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(now.tzinfo)
            runs.append((name, (at + timedelta(microseconds=500_000)).replace(microsecond=0)))
        return sorted(runs, key=lambda run: (run[1], run[0]))

    def run_due(self) -> list[JobRun]:
        """Run, one after the other, every job due now; return what ran."""
        runs = []
        for name, entry in list(self.entries.items()):
            if entry.is_due()[0]:
                # Marked as run before it runs: a failing job waits for its next time, as under beat.
                self.entries[name] = next(entry)
                runs.append(self._run(entry))
        return runs

    def _run(self, entry: ScheduleEntry) -> JobRun:
        started = time.monotonic()
        try:
            result = self.app.tasks[entry.task].apply(args=entry.args, kwargs=entry.kwargs, throw=True).result
        except Exception:  # one failing job must not stop the others: logged with its traceback
            run = JobRun(entry.name, entry.task, False, None, time.monotonic() - started)
            logger.exception("scheduled job failed", extra={"job": run.name, "task": run.task, "seconds": round(run.seconds, 3)})
        else:
            run = JobRun(entry.name, entry.task, True, result, time.monotonic() - started)
            logger.info("scheduled job ran", extra={"job": run.name, "task": run.task, "result": result,
                                                    "seconds": round(run.seconds, 3)})
        finally:
            connections.close_all()  # this thread's connections only: the next run opens fresh ones
        return run

    def seconds_to_next(self) -> float:
        """How long the thread may sleep before a job is due (at most ``MAX_SLEEP_SECONDS``)."""
        waits = [0.0 if due else seconds for due, seconds in (entry.is_due() for entry in self.entries.values())]
        return max(0.0, min([MAX_SLEEP_SECONDS, *waits]))

    def start(self) -> None:
        """Run the jobs at their times from a daemon thread (it dies with the server)."""
        self._thread = threading.Thread(target=self._loop, name="embedded-beat", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for the job it may be running (at most ``timeout`` s)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(self.seconds_to_next())
