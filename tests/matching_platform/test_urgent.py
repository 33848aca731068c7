"""Urgent shifts: waves of proposals, idempotent retries, the periodic safety net, and HR's explanation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from establishments.services import ShiftSpec, shift_post
from missions.booking.services.proposals import proposal_accept, proposal_decline
from missions.core.escalation import wave_plan
from missions.core.models import MatchingRun, Proposal, ProposalState
from missions.platform.services.matching import explain_unfilled, matching_run_region
from missions.platform.services.urgent import urgent_pending_match, urgent_shift_match, urgent_shifts_due
from reference.models import Profession

MONTPELLIER = "34172"
HOMES = ("34172", "34057", "34129", "34198", "34270", "34154")  # Montpellier and its first ring


def _urgent(world, positions: int = 1):
    """A shift starting tomorrow at 20:00 (within 48 h), and 12 available nurses around."""
    est = world.estab(MONTPELLIER)
    tomorrow = timezone.localdate() + timedelta(days=1)
    world.start = tomorrow
    shift = world.shift(est, day=1, hour=20, positions=positions, urgent=True, urgency=5)
    pros = [world.pro(HOMES[i % len(HOMES)], radius=40, days=(1,), slot="N") for i in range(12)]
    return shift, pros


def _post_tonight(world, *, positions: int = 1):
    """HR (the admin who registered it) posts, through the posting service, a night shift starting
    tomorrow (urgent: within 48 h)."""
    est = world.estab(MONTPELLIER)
    tomorrow = timezone.localdate() + timedelta(days=1)
    world.start = tomorrow
    for i in range(12):
        world.pro(HOMES[i % len(HOMES)], radius=40, days=(1,), slot="N")
    spec = ShiftSpec(
        unit=est.units.first(), profession=Profession.objects.get(pk="60"), positions=positions, urgency=5, urgent=False,
        pay=Decimal("300.00"),
    )
    return shift_post(actor=world.hr, spec=spec, starts_at=world.at(1, 20), ends_at=world.at(2, 8))


def test_posting_an_urgent_shift_sends_the_first_wave_once_committed(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        shift = _post_tonight(world)
    assert shift.urgent  # within 48 h, although HR did not tick it
    assert not Proposal.objects.filter(shift=shift).exists()  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # the commit: Celery is eager in tests, the task runs here
    assert Proposal.objects.filter(shift=shift, wave=1).count() == 5
    assert MatchingRun.objects.filter(kind="urgent", shift=shift).count() == 1


def test_a_posting_that_rolls_back_proposes_nothing(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _post_tonight(world)
        raise RuntimeError("the caller fails after posting")
    assert callbacks == [] and not Proposal.objects.exists()


def test_waves_of_five_then_five_more(world):
    shift, _pros = _urgent(world)
    assert urgent_shift_match(shift=shift, wave=1) == 5
    first = list(Proposal.objects.filter(shift=shift, wave=1).values_list("professional_id", "distance_km"))
    assert len(first) == 5
    assert urgent_shift_match(shift=shift, wave=1) == 0  # a retried task sends nothing twice
    # The five nearest got the first wave.
    km = sorted(p.distance_km for p in Proposal.objects.filter(shift=shift))
    assert max(d for _p, d in first) == km[-1]
    assert urgent_shift_match(shift=shift, wave=2) == 5
    second = set(Proposal.objects.filter(shift=shift, wave=2).values_list("professional_id", flat=True))
    assert len(second) == 5 and not second & {p for p, _ in first}
    assert min(Proposal.objects.filter(shift=shift, wave=2).values_list("distance_km", flat=True)) >= max(
        d for _p, d in first
    )
    assert urgent_shift_match(shift=shift, wave=3) == 2  # only two eligible left
    assert MatchingRun.objects.filter(kind="urgent", shift=shift).count() == 3


def test_first_acceptance_wins_and_stops_the_waves(world):
    shift, _pros = _urgent(world)
    urgent_shift_match(shift=shift)
    a, b = Proposal.objects.filter(shift=shift)[:2]
    proposal_accept(actor=a.professional.user, proposal=a)
    b.refresh_from_db()
    assert b.state == ProposalState.WITHDRAWN  # full: the other offers are withdrawn
    assert urgent_shift_match(shift=shift) == 0
    assert shift.pk not in urgent_shifts_due()


def test_periodic_task_sends_the_due_wave_only_after_the_delay(world):
    shift, _pros = _urgent(world)
    assert shift.pk in urgent_shifts_due()
    assert urgent_pending_match() == 5
    assert shift.pk not in urgent_shifts_due()  # wave 1 is 0 min old
    later = timezone.now() + wave_plan(shift, timezone.now()).every + timedelta(seconds=1)  # missions.core.escalation
    assert shift.pk in urgent_shifts_due(now=later)
    assert urgent_pending_match(now=later) == 5
    assert sorted(set(Proposal.objects.filter(shift=shift).values_list("wave", flat=True))) == [1, 2]


def test_a_declined_professional_is_not_asked_again(world):
    shift, _pros = _urgent(world)
    urgent_shift_match(shift=shift)
    declined = Proposal.objects.filter(shift=shift).first()
    proposal_decline(actor=declined.professional.user, proposal=declined)
    urgent_shift_match(shift=shift)
    assert Proposal.objects.filter(shift=shift, professional=declined.professional).count() == 1


def test_explain_unfilled_nobody_within_reach(world):
    est = world.estab("48095")  # Mende
    shift = world.shift(est, day=3)
    world.pro(MONTPELLIER, radius=30, days=(3,))
    info = explain_unfilled(shift=shift)
    assert info["within_reach"] == 0 and info["open"] == 1
    assert any("rayon" in r for r in info["reasons"])


def test_explain_unfilled_not_available_then_taken_then_pending(world):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3)
    pro = world.pro(MONTPELLIER, radius=30, days=(4,))
    info = explain_unfilled(shift=shift)
    assert [(code, n) for code, n, _text in info["counts"]] == [("within_reach", 1), ("availability", 1),
                                                                ("eligible", 0)]
    assert "1 n'a pas déclaré ce créneau" in info["summary"]
    world.available(pro, 3)
    other = world.shift(world.estab("34057"), day=3, urgency=5)
    matching_run_region(region_code="76", start=world.start)
    assert Proposal.objects.get().shift == other
    info = explain_unfilled(shift=shift)
    assert [(code, n) for code, n, _text in info["counts"]] == [("within_reach", 1), ("slot_taken", 1),
                                                                ("eligible", 0)]
    assert "1 déjà pris sur ce créneau" in info["summary"]
    assert explain_unfilled(shift=other)["pending"] == 1


def test_urgent_wave_count_is_positions_when_more_than_five(world):
    shift, _pros = _urgent(world, positions=7)
    assert urgent_shift_match(shift=shift) == 7


def test_the_safety_net_also_sends_a_shift_hr_flagged_urgent_more_than_48h_ahead(world):
    """Urgent is HR's flag or a start within 48 h (``Shift.is_urgent``): a shift five days ahead that HR
    flagged is matched by the periodic task; the same shift unflagged is left to the nightly run."""
    est = world.estab(MONTPELLIER)
    flagged = world.shift(est, day=4, hour=20, urgent=True)
    plain = world.shift(est, day=4, hour=8)
    assert flagged.starts_at - timezone.now() > timedelta(hours=48)
    assert flagged.is_urgent() and not plain.is_urgent()
    world.pro(MONTPELLIER, days=(4,), slot="N")
    due = urgent_shifts_due()
    assert flagged.pk in due and plain.pk not in due
    assert urgent_pending_match() == 1
    assert Proposal.objects.get().shift == flagged
