"""proposal_accept under real concurrency (PostgreSQL row locks): never two professionals on one
position, never one professional in two places."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from missions.booking.services.proposals import proposal_accept
from missions.core.models import Mission, MissionState, ProposalState
from tests.factories import local, make_professional, make_proposal, make_shift

pytestmark = [pytest.mark.postgres]

THREADS = 12


def race(calls) -> tuple[list, list]:
    """Run every call at once (a barrier releases them together); each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    wins, losses = [], []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            result = call()
            with lock:
                wins.append(result)
        except ValidationError as error:
            with lock:
                losses.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return wins, losses


def test_many_professionals_one_position(live_db):
    shift = make_shift(positions=1)
    pros = [make_professional() for _ in range(THREADS)]
    proposals = [make_proposal(shift, pro) for pro in pros]
    wins, losses = race(
        [lambda p=p, pro=pro: proposal_accept(actor=pro.user, proposal=p) for p, pro in zip(proposals, pros, strict=True)]
    )
    assert len(wins) == 1 and len(losses) == THREADS - 1
    assert Mission.objects.filter(shift=shift).exclude(state=MissionState.CANCELLED).count() == 1
    states = sorted(p.state for p in type(proposals[0]).objects.filter(shift=shift))
    assert states.count(ProposalState.ACCEPTED) == 1


def test_one_professional_two_overlapping_shifts(live_db):
    pro = make_professional(max_missions_per_month=31)
    day = timezone.localdate() + timedelta(days=9)
    for attempt in range(3):
        shifts = [make_shift(starts_at=local(day + timedelta(days=3 * attempt), 8 + k)) for k in range(2)]
        proposals = [make_proposal(s, pro) for s in shifts]
        wins, losses = race([lambda p=p: proposal_accept(actor=pro.user, proposal=p) for p in proposals])
        assert len(wins) == 1 and len(losses) == 1, (wins, losses)
    assert Mission.objects.filter(professional=pro).count() == 3
