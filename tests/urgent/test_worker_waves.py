"""Waves with a real Celery worker on Redis: posting an urgent shift sends the first wave; the next
wave waits on the broker as a countdown task, and the worker sends it when it is due."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from missions.core.escalation import wave_plan
from missions.core.models import Proposal
from missions.platform.services.urgent import urgent_shift_match
from tests.factories import local, make_shift
from ville_hopital.celery import app as celery_app

from .conftest import nurses


def _next_template_start():
    """The next 08:00 or 20:00 (Paris) at least 3 hours away (beyond the nurses' 2 h notice): a day or
    night shift of the templates."""
    now = timezone.localtime()
    for days in range(2):
        for hour in (8, 20):
            start = local(now.date() + timedelta(days=days), hour)
            if start - now >= timedelta(hours=3):
                return start
    raise AssertionError("unreachable: tomorrow's 20:00 is always more than 3 hours away")


def _scheduled(shift_id: int) -> list[dict]:
    """The worker's countdown tasks (held until their ETA) that are waves of ``shift_id``."""
    # One worker answers (limit=1): the call returns on its reply rather than waiting out the timeout.
    answers = celery_app.control.inspect(timeout=5, limit=1).scheduled() or {}
    return [
        entry for entries in answers.values() for entry in entries
        if entry["request"]["name"] == "missions.tasks.match_urgent_shift" and entry["request"]["args"][0] == shift_id
    ]


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_posting_sends_a_wave_and_the_next_one_runs_on_its_countdown(live_scene, celery_worker_process):
    wait_for = celery_worker_process
    scene = live_scene
    starts_at = _next_template_start()
    # Nurses first (available that slot), then the posting: its commit queues the first wave.
    pros = nurses(starts_at, 18)
    shift = make_shift(scene.chu, by=scene.alice, starts_at=starts_at, urgent=True)
    plan = wave_plan(shift, timezone.now())

    def wave(n: int):
        return Proposal.objects.filter(shift=shift, wave=n)

    assert wait_for(lambda: wave(1).count() == plan.size(1), timeout=60)
    first_at = wave(1).first().created_at
    # The next wave waits on the broker, due one spacing after the first.
    assert wait_for(lambda: _scheduled(shift.pk), timeout=30)
    (scheduled,) = _scheduled(shift.pk)
    assert scheduled["request"]["args"] == [shift.pk, 2]
    eta = timezone.datetime.fromisoformat(scheduled["eta"])
    assert abs((eta - (first_at + plan.every)).total_seconds()) < 30

    # Wave 2, sent (as the worker would when its countdown falls due) from a clock one spacing back:
    # its own countdown for wave 3 then falls due a few seconds from now, and the worker sends it.
    with time_machine.travel(timezone.now() - plan.every + timedelta(seconds=3), tick=True):
        sent = urgent_shift_match(shift=shift, wave=2)
    assert sent == plan.size(2)
    third = min(plan.size(3), len(pros) - plan.size(1) - plan.size(2))
    assert wait_for(lambda: wave(3).count() == third, timeout=60)
    asked = set(Proposal.objects.filter(shift=shift).values_list("professional_id", flat=True))
    assert len(asked) == plan.size(1) + plan.size(2) + third  # never the same professional twice
    assert asked <= {p.pk for p in pros}
