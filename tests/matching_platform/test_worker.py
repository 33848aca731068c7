"""The nightly matching run by a real Celery worker on Redis, against the test database."""

from __future__ import annotations

import pytest

from missions.core.models import MatchingRun, MatchingRunState, Proposal
from missions.tasks import match_night
from territories.models import Region

MONTPELLIER, CASTELNAU = "34172", "34057"


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_nightly_task_fans_out_and_writes_proposals(live_world, celery_worker_process):
    world = live_world
    est = world.estab(MONTPELLIER)
    shifts = [world.shift(est, day=d, positions=2) for d in (2, 3)]
    pros = [world.pro(c, days=(2, 3)) for c in (MONTPELLIER, CASTELNAU)]
    result = match_night.apply_async((world.start.isoformat(),), ignore_result=False)  # results are off by default

    def occitanie_done() -> bool:
        return MatchingRun.objects.filter(region_id="76", state__in=[MatchingRunState.SUCCEEDED,
                                                                     MatchingRunState.FAILED]).exists()

    assert celery_worker_process(occitanie_done, timeout=120)
    run = MatchingRun.objects.get(region_id="76")
    assert run.state == MatchingRunState.SUCCEEDED, run.error
    assert run.kind == "nightly" and run.task_id
    assert (run.n_pros, run.n_positions, run.proposals_written) == (2, 4, 4)
    assert set(Proposal.objects.values_list("shift_id", "professional_id")) == {
        (s.pk, p.pk) for s in shifts for p in pros
    }
    assert len(result.get(timeout=30)) == Region.objects.count()  # one task per region
