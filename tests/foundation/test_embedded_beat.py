"""Scheduled work runs in every set-up.

Embedded (``make run``: SQLite, Celery eager, no Redis): ``manage.py run_embedded`` runs the jobs of
Celery's ``beat_schedule`` in process (``ville_hopital.embedded_beat``). With Redis: a real
``celery beat`` sends them to a real worker.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import timedelta

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from missions.core.models import Proposal, ProposalState
from tests.clock import OFFSET_ENV
from tests.factories import in_days, insure, make_availability, make_professional, make_shift
from tests.foundation.embedded_server import EmbeddedServer, sqlite_file_copy
from ville_hopital.celery import app as celery_app
from ville_hopital.demo import DEMO_PASSWORD, DemoContext, demo_seed_record
from ville_hopital.embedded_beat import EmbeddedBeat

LOGIN = "rh.demo@example.org"


def _urgent_shift_due():
    """A nurse day shift tomorrow, posted three days ago (it became urgent by nearing: within 48 h)
    and reached by no wave yet, and three short-notice nurses free that day."""
    # ORM (as_row): a posting three days ago; posted today, the posting would send the wave itself.
    shift = make_shift(starts_at=in_days(1, 8), as_row=True, created_at=timezone.now() - timedelta(days=3))
    nurses = []
    for _ in range(3):
        nurse = make_professional(min_notice_hours=2)
        insure(nurse)
        make_availability(nurse, timezone.localdate(shift.starts_at), "D")
        nurses.append(nurse)
    return shift, nurses


def _offered(shift) -> set[int]:
    return set(Proposal.objects.filter(shift=shift, state=ProposalState.PENDING).values_list("professional_id", flat=True))


def test_every_scheduled_job_names_a_registered_task():
    """Once the tasks modules are imported as a worker (and the embedded scheduler) imports them."""
    EmbeddedBeat(catch_up=timedelta(0))
    unknown = {name: job["task"] for name, job in celery_app.conf.beat_schedule.items() if job["task"] not in celery_app.tasks}
    assert not unknown
    assert "missions.tasks.match_urgent_pending" in {job["task"] for job in celery_app.conf.beat_schedule.values()}


def test_the_embedded_scheduler_runs_a_wave_that_is_due_at_start(live_db):
    shift, nurses = _urgent_shift_due()
    assert not _offered(shift)
    runs = {run.name: run for run in EmbeddedBeat().run_due()}
    assert runs["missions.match_urgent_pending"].ok, runs
    assert _offered(shift) and _offered(shift) <= {n.pk for n in nurses}
    # Every job that runs every few minutes was due (an hour of catch-up); all of them ran.
    assert {"missions.expire_proposals", "notifications.requeue_deliveries"} <= runs.keys()
    assert all(run.ok for run in runs.values()), [run for run in runs.values() if not run.ok]


def test_without_catch_up_nothing_runs_before_its_time(live_db):
    shift, _nurses = _urgent_shift_due()
    beat = EmbeddedBeat(catch_up=timedelta(0))
    assert beat.run_due() == []
    assert not _offered(shift)
    names, times = zip(*beat.next_runs(), strict=True)
    assert set(names) == set(celery_app.conf.beat_schedule)
    assert min(times) > celery_app.now()  # each at its next crontab time
    assert dict(beat.next_runs())["missions.match_night"].astimezone(timezone.get_current_timezone()).hour == 2


def test_a_failing_job_is_logged_and_the_others_keep_their_times(caplog):
    """Jobs of a test app (the scheduler takes any Celery app): one counts, one always fails."""
    app = Celery("beat-test", set_as_current=False)
    app.conf.update(task_always_eager=True, timezone="Europe/Paris")
    calls: list[int] = []

    @app.task(name=f"{__name__}.count")
    def count() -> int:
        calls.append(1)
        return len(calls)

    @app.task(name=f"{__name__}.fail")
    def fail() -> None:
        raise RuntimeError("this job always fails")

    every = timedelta(seconds=0.2)
    app.conf.beat_schedule = {"fails": {"task": f"{__name__}.fail", "schedule": every},
                              "counts": {"task": f"{__name__}.count", "schedule": every}}
    beat = EmbeddedBeat(app, catch_up=timedelta(0))
    beat.start()
    try:
        deadline = time.monotonic() + 20
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        beat.stop()
    assert not beat.running  # stopped, not abandoned
    assert len(calls) >= 3
    failures = [r for r in caplog.records if r.getMessage() == "scheduled job failed"]
    assert len(failures) >= 2 and {r.job for r in failures} == {"fails"}
    assert "this job always fails" in failures[0].exc_text
    assert {r.job for r in caplog.records if r.getMessage() == "scheduled job ran"} == {"counts"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded set-up is SQLite's")
def test_make_run_sends_a_due_wave_and_prints_the_logins_last(live_db, tmp_path):
    """``run_embedded`` (what ``make run`` starts after the seed) on a SQLite file: the due wave goes
    out before the server answers, the logins are the last lines, and Ctrl-C stops it cleanly."""
    shift, nurses = _urgent_shift_due()
    demo_seed_record(DemoContext(rng=None, size=1, logins=[("RH établissement (démo)", LOGIN)]))
    database = sqlite_file_copy(tmp_path / "db.sqlite3")
    server = EmbeddedServer(database, tmp_path)
    try:
        with closing(sqlite3.connect(database)) as db:  # WAL: a reader beside the running server
            offered = {pk for (pk,) in db.execute(
                f"SELECT professional_id FROM {Proposal._meta.db_table} WHERE shift_id = ? AND state = ?",  # noqa: S608
                (shift.pk, ProposalState.PENDING),
            )}
    finally:
        code = server.stop()
    assert offered and offered <= {n.pk for n in nurses}, server.output()
    assert code == 0, server.output()
    out = server.stdout()
    assert "Traceback" not in server.stderr(), server.output()
    assert out.index("Starting development server") < out.index("missions.match_night") < out.index(LOGIN)
    assert out.rstrip().splitlines()[-1].strip() == f"mot de passe : {DEMO_PASSWORD}", out
    ran = [json.loads(line) for line in server.stderr().splitlines() if '"scheduled job ran"' in line]
    assert "missions.match_urgent_pending" in {entry["job"] for entry in ran}


@pytest.mark.celery_worker
def test_celery_beat_sends_a_due_wave_to_the_worker(celery_worker_process, tmp_path):
    """With Redis: a real ``celery beat`` (its clock set just before a 5-minute mark) queues
    ``match_urgent_pending``, a real worker runs it, the wave is written."""
    wait_for = celery_worker_process
    shift, nurses = _urgent_shift_due()
    now = timezone.now()
    mark = now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5)
    # Beat reads its schedule when it has started (Django set up: a few seconds, more on a busy
    # machine), then waits for the mark. Its clock starts 12 s before the mark; a start-up slower
    # than that only costs one more period (5 minutes), which the wait below allows for.
    beat_starts_at = mark - timedelta(seconds=12)
    offset = float(os.environ.get(OFFSET_ENV, "0")) + (beat_starts_at - now).total_seconds()
    db = connection.settings_dict
    env = {
        **os.environ,
        OFFSET_ENV: str(offset),
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    log = tmp_path / "beat.log"
    beat = subprocess.Popen(
        [sys.executable, "-m", "tests.clock", "celery", "-A", "ville_hopital", "beat", "--loglevel=INFO",
         f"--schedule={tmp_path / 'beat-schedule'}", f"--pidfile={tmp_path / 'beat.pid'}"],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=str(settings.BASE_DIR),
    )
    try:
        wait_for(lambda: bool(_offered(shift)), timeout=12 + 5 * 60 + 30)
    finally:
        beat.terminate()
        beat.wait(timeout=10)
    assert _offered(shift) <= {n.pk for n in nurses}
    assert "missions.tasks.match_urgent_pending" in log.read_text()
