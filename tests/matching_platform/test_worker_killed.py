"""A real Celery worker SIGKILLed in the middle of a nightly ``match_region`` run, then the message
redelivered by Redis to a new worker: exactly the clean run's proposals, once; the interrupted run
marked failed; accepted proposals untouched.

Where the run is killed is made deterministic by a lock the test holds (no sleeps, no timing luck):

* ``before_write``: the test holds the write phase's advisory lock (``WRITE_LOCK_KEY``), as another
  region's run writing would; the worker has loaded and solved and waits to write;
* ``mid_insert``: the test holds an uncommitted pending proposal for a pair the run is about to write;
  the worker's ``INSERT … ON CONFLICT`` waits on it, the COPY of its rows already done.

Redelivery after a SIGKILL on Redis: the message stays in kombu's ``unacked`` hash (``acks_late``), and
a worker puts it back in the queue only once it is older than the transport's ``visibility_timeout``
(1 hour by default). The second worker is started with a visibility timeout of 1 s (its own config,
not the project's settings) so that it restores the message when it starts. Both workers keep their
unacked bookkeeping under keys of their own (``unacked_key`` …), so that 1 s timeout can never
restore a message another worker is still running.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from establishments.models import Shift
from missions.core.models import MatchingRun, MatchingRunState, Mission, Proposal
from missions.platform.services.matching import matching_run_region
from missions.platform.writes import WRITE_LOCK_KEY
from missions.tasks import match_region

OCCITANIE = "76"
COMMUNES = ("34172", "34057", "34032", "30189", "34154", "34301", "30007")  # Hérault and Gard, in the test geography

# The worker, with broker transport options of its own (JSON in argv[1]); the rest of argv is the
# ``celery worker`` command line. Only this test's second worker uses it.
WORKER_SCRIPT = """
import json, sys
from tests.clock import start_from_env
start_from_env()
from ville_hopital.celery import app
app.conf.broker_transport_options = json.loads(sys.argv[1])
app.worker_main(["worker", *sys.argv[2:]])
"""
FAST_REDELIVERY = {"visibility_timeout": 1, "unacked_restore_interval": 1, "unacked_restore_throttle": 1,
                   "unacked_mutex_expire": 5}


def _own_unacked_keys(queue: str) -> dict[str, str]:
    return {key: f"{key.removesuffix('_key')}-{queue}" for key in ("unacked_key", "unacked_index_key",
                                                                   "unacked_mutex_key")}


class _Worker:
    def __init__(self, name: str, queue: str, log: Path, transport_options: dict | None = None):
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                            f"{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "ville_hopital.settings",
        }
        args = ["--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-Q", queue, "-n", f"{name}-{os.getpid()}@%h"]
        command = [sys.executable, "-c", WORKER_SCRIPT, json.dumps(transport_options or {}), *args]
        self.log = log
        self.process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                        cwd=str(settings.BASE_DIR))

    def wait_for(self, predicate, timeout: float = 60.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.log.read_text()}")
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; worker log:\n{self.log.read_text()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _build_world(world):
    """Scarce, mixed world in Occitanie: some pros near several shifts, caps and rest rules in play."""
    rng = random.Random(20261123)
    ests = [world.estab(c) for c in COMMUNES]
    for _ in range(24):
        world.shift(rng.choice(ests), day=rng.randint(2, 9), hour=rng.choice((8, 8, 20)),
                    positions=rng.randint(1, 3), urgency=rng.randint(1, 5))
    for _ in range(30):
        days = tuple(sorted(rng.sample(range(2, 10), 4)))
        pro = world.pro(rng.choice(COMMUNES), radius=rng.choice((15, 30, 60)), days=days,
                        max_missions=rng.randint(1, 4))
        for d in days:
            if rng.random() < 0.5:
                world.available(pro, d, "N")
    # An accepted offer (a booked mission) the matching must never touch.
    booked_shift = world.shift(ests[0], day=5, positions=2, urgency=5)
    booker = world.pro(COMMUNES[0], days=(5,))
    accepted = Proposal.objects.create(shift=booked_shift, professional=booker, source="nightly", state="accepted",
                                       distance_km=0, expires_at=timezone.now() + timedelta(hours=20),
                                       decided_at=timezone.now())
    mission = Mission.objects.create(shift=booked_shift, position=1, professional=booker, pay=booked_shift.pay,
                                     starts_at=booked_shift.starts_at, ends_at=booked_shift.ends_at, distance_km=0)
    return accepted, mission


class _Rollback(Exception):
    pass


def _clean_run_pairs(world) -> set[tuple[int, int]]:
    """What a run that is never interrupted proposes on this data (run in the test, rolled back)."""
    pairs: set[tuple[int, int]] = set()
    try:
        with transaction.atomic():
            run = matching_run_region(region_code=OCCITANIE, start=world.start)
            pairs = set(Proposal.objects.filter(matching_run_id=run.pk).values_list("shift_id", "professional_id"))
            raise _Rollback
    except _Rollback:
        pass
    return pairs


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def _waiting_backend(fragment: str) -> bool:
    """A backend of the test database is waiting on a lock while running a statement containing ``fragment``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock' AND query LIKE %s", [f"%{fragment}%"],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.parametrize("kill_point", ["before_write", "mid_insert"])
def test_worker_killed_mid_run_then_redelivered(live_world, tmp_path, kill_point):
    world = live_world
    accepted, mission = _build_world(world)
    accepted_before = Proposal.objects.filter(pk=accepted.pk).values().get()
    mission_before = Mission.objects.filter(pk=mission.pk).values().get()
    expected = _clean_run_pairs(world)
    assert len(expected) >= 10 and not Proposal.objects.filter(state="pending").exists()
    assert not MatchingRun.objects.exists()

    queue = f"test-killed-{uuid.uuid4().hex[:8]}"  # no other test's message can reach these workers
    keys = _own_unacked_keys(queue)
    holder = connections.create_connection("default")  # the test's second session, holding the lock
    holder.ensure_connection()
    workers: list[_Worker] = []
    try:
        with holder.cursor() as cursor:
            if kill_point == "before_write":
                cursor.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK_KEY])
                fragment = "pg_advisory_xact_lock"
            else:
                holder.set_autocommit(False)
                shift_id, pro_id = min(expected)
                cursor.execute(
                    "INSERT INTO missions_proposal (shift_id, professional_id, state, source, distance_km, wave, "
                    "created_at, expires_at, decline_reason) VALUES (%s, %s, 'pending', 'manual', 0, 1, now(), "
                    "now() + interval '1 day', '')", [shift_id, pro_id],
                )
                fragment = "ON CONFLICT"

        first = _Worker("first", queue, tmp_path / "first.log", keys)  # the project's visibility timeout (1 h)
        workers.append(first)
        result = match_region.apply_async((OCCITANIE, world.start.isoformat()), queue=queue, ignore_result=False)
        first.wait_for(lambda: MatchingRun.objects.filter(task_id=result.id, state=MatchingRunState.RUNNING).exists()
                       and _waiting_backend(fragment), what=f"the run to block at {kill_point}")
        first.kill()

        # The lock goes away: the killed worker's PostgreSQL session finds its client gone and rolls back.
        if kill_point == "before_write":
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK_KEY])
        else:
            holder.rollback()
            holder.set_autocommit(True)
        interrupted = MatchingRun.objects.get(task_id=result.id)
        assert interrupted.state == MatchingRunState.RUNNING  # killed before its transaction committed
        assert _redis().hlen(keys["unacked_key"]) == 1  # acks_late: the message is held, not acknowledged

        second = _Worker("second", queue, tmp_path / "second.log", {**keys, **FAST_REDELIVERY})
        workers.append(second)
        second.wait_for(lambda: MatchingRun.objects.filter(task_id=result.id).exclude(pk=interrupted.pk).exclude(
            state=MatchingRunState.RUNNING).exists(), what="the redelivered run")
        retried = MatchingRun.objects.exclude(pk=interrupted.pk).get(task_id=result.id)
        assert retried.state == MatchingRunState.SUCCEEDED, retried.error
        assert result.get(timeout=30) == retried.pk
        # acks_late: the worker stores the result, then acknowledges; the result can be read first.
        second.wait_for(lambda: _redis().hlen(keys["unacked_key"]) == 0, timeout=15,
                        what="the acknowledgement by the second worker")
    finally:
        for w in workers:
            w.stop()
        holder.close()
        _redis().delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}", *keys.values())

    interrupted.refresh_from_db()
    assert interrupted.state == MatchingRunState.FAILED
    assert "interrupted" in interrupted.error and f"run {retried.pk}" in interrupted.error
    assert MatchingRun.objects.filter(task_id=result.id).count() == 2  # the message ran once more, not twice

    pending = list(Proposal.objects.filter(state="pending").values_list("shift_id", "professional_id",
                                                                        "matching_run_id"))
    pairs = {(s, p) for s, p, _ in pending}
    assert len(pairs) == len(pending)  # no duplicate
    assert {r for _, _, r in pending} == {retried.pk}  # nothing from the killed run survived
    assert pairs == expected  # nothing lost: the clean run's proposals, exactly
    assert retried.proposals_written == len(expected)
    for shift_id in {s for s, _ in pairs}:
        shift = Shift.objects.get(pk=shift_id)
        booked = Mission.objects.filter(shift=shift).count()
        assert sum(1 for s, _ in pairs if s == shift_id) <= shift.positions - booked

    assert Proposal.objects.filter(pk=accepted.pk).values().get() == accepted_before
    assert Mission.objects.filter(pk=mission.pk).values().get() == mission_before
    assert Proposal.objects.count() == len(expected) + 1
