"""Two regions matched at the same time on PostgreSQL share border professionals: never double-booked."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from missions.core.models import MatchingRunState, Proposal, ProposalState
from missions.platform.services.matching import matching_run_region
from territories.services import geography_load
from tests.matching_platform.conftest import World
from ville_hopital.models import AuditEvent

VILLENEUVE_AVIGNON, LES_ANGLES, AVIGNON = "30351", "30011", "84007"


def _parallel(calls):
    barrier = threading.Barrier(len(calls))
    errors, runs = [], []

    def worker(region, start):
        try:
            barrier.wait()
            runs.append(matching_run_region(region_code=region, start=start))
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return runs


@pytest.mark.postgres
def test_parallel_region_runs_never_double_book(live_db):
    geography_load(only_departements=frozenset({"30", "84"}))
    from datetime import timedelta

    from django.utils import timezone

    world = World(timezone.localdate() + timedelta(days=2))
    gard = world.shift(world.estab(LES_ANGLES), day=3, positions=6)
    vaucluse = world.shift(world.estab(AVIGNON), day=3, positions=6, urgency=4)
    pros = [world.pro(VILLENEUVE_AVIGNON if i % 2 else LES_ANGLES, radius=15, days=(3,)) for i in range(6)]
    dropped = []
    for _round in range(2):  # the second round re-offers what a conflict left open
        runs = _parallel([("76", world.start), ("93", world.start)])
        assert all(r.state == MatchingRunState.SUCCEEDED for r in runs)
        per_pro = Counter(Proposal.objects.filter(state=ProposalState.PENDING).values_list("professional_id", flat=True))
        assert max(per_pro.values()) == 1, per_pro  # one slot, one offer at most
        dropped.append(sum(e.data["dropped_conflicts"] for e in AuditEvent.objects.filter(action="matching.run")))
    print("dropped by the write-time check, per round (cumulated):", dropped)
    assert set(per_pro) == {p.pk for p in pros}  # and in the end everyone got one
    per_shift = Counter(Proposal.objects.values_list("shift_id", flat=True))
    assert per_shift[gard.pk] <= 6 and per_shift[vaucluse.pk] <= 6
