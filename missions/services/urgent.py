"""Urgent shifts: the waves of offers that escalate until a position is taken.

Moved out of ``missions.services.matching`` (which keeps the nightly run and the explanations).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from establishments.models import Shift, ShiftState
from missions.matching.instance import Assignment
from missions.matching_io import FORBIDDEN_ROUTE, advisory_xact_lock, partition_load, proposals_write, slot_of
from missions.models import (
    ACTIVE_MISSION_STATES,
    MatchingRun,
    MatchingRunKind,
    MatchingRunState,
    Mission,
    Proposal,
    ProposalSource,
)
from missions.services.matching import _notify_on_commit, _ranked_candidates


def urgent_wave_size() -> int:
    return int(getattr(settings, "MATCHING_URGENT_WAVE_SIZE", 5))


def urgent_wave_delay() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "MATCHING_URGENT_WAVE_DELAY_MINUTES", 15)))


def _shift_lock_key(shift_id: int) -> int:
    return (0x5655 << 48) + int(shift_id)  # 'VU' + the shift id


def urgent_shift_match(*, shift: Shift, wave: int | None = None, now: datetime | None = None) -> int:
    """Send the next wave of proposals for an urgent shift; return how many were sent.

    A wave goes to the ``MATCHING_URGENT_WAVE_SIZE`` (5) best eligible professionals not asked yet
    (or to as many as there are open positions, if more). ``wave`` is the wave the caller expects
    to send: a retried task whose wave was already sent sends nothing (idempotent). The next wave is
    due ``MATCHING_URGENT_WAVE_DELAY_MINUTES`` (15) later if the shift is still not full: queued with
    a countdown, and picked up by the periodic ``match_urgent_pending`` if that message is lost.
    The first valid acceptance wins (``proposal_accept`` locks the shift).
    """
    now = now or timezone.now()
    with transaction.atomic():
        advisory_xact_lock(_shift_lock_key(shift.pk))
        shift = Shift.objects.select_related("location").get(pk=shift.pk)
        if shift.state != ShiftState.PUBLISHED or shift.starts_at <= now or shift.contract_route == FORBIDDEN_ROUTE:
            return 0
        booked = Mission.objects.filter(shift=shift, state__in=ACTIVE_MISSION_STATES).count()
        open_positions = shift.positions - booked
        if open_positions <= 0:
            return 0
        last_wave = Proposal.objects.filter(shift=shift).aggregate(m=Max("wave"))["m"] or 0
        this_wave = last_wave + 1
        if wave is not None and wave != this_wave:
            return 0  # already sent (retry), or not the one expected
        day, _slot = slot_of(shift.starts_at)
        part = partition_load(region_code=None, start=day, horizon_days=1, now=now, shift_ids=[shift.pk],
                              count_pending=False)
        if len(part.instance.shifts) == 0:
            return 0
        asked = set(Proposal.objects.filter(shift=shift).values_list("professional_id", flat=True))
        ranked = [(p, km) for p, km in _ranked_candidates(part, 0) if int(part.instance.pros.ids[p]) not in asked]
        chosen = ranked[: max(urgent_wave_size(), open_positions)]
        run = MatchingRun.objects.create(
            region_id=shift.location.region_id, start=day, horizon_days=1, kind=MatchingRunKind.URGENT, shift=shift,
            n_pros=len(part.instance.pros), n_slots=len(part.instance.availability), n_shifts=1,
            n_positions=open_positions, n_arcs=len(ranked),
        )
        assignment = Assignment(
            np.zeros(len(chosen), np.int32), np.arange(1, len(chosen) + 1, dtype=np.int32),
            np.array([p for p, _ in chosen], np.int32), np.array([km for _, km in chosen], np.float64),
        )
        outcome = proposals_write(part=part, assignment=assignment, source=ProposalSource.URGENT,
                                  matching_run_id=run.pk, wave=this_wave, now=now, check_shift_room=False)
        run.filled = min(outcome.written, open_positions)
        run.proposals_written = outcome.written
        run.state = MatchingRunState.SUCCEEDED
        run.finished_at = timezone.now()
        run.save()
        _notify_on_commit(outcome.proposal_ids)
        # Eager Celery (embedded set-up, tests) would run the countdown at once, sending every wave
        # now: there the periodic ``match_urgent_pending`` sends the next wave when it is due.
        if outcome.written and not current_app.conf.task_always_eager:
            from missions.tasks import match_urgent_shift

            delay = int(urgent_wave_delay().total_seconds())
            transaction.on_commit(lambda: match_urgent_shift.apply_async((shift.pk, this_wave + 1), countdown=delay))
    return outcome.written


def urgent_shifts_due(*, now: datetime | None = None) -> list[int]:
    """Urgent shifts (``Shift.is_urgent``: HR's flag, or a start within 48 h) not started nor full
    whose next wave is due: never matched, or the last wave older than the wave delay."""
    now = now or timezone.now()
    shifts = (
        Shift.objects.urgent(now).filter(state=ShiftState.PUBLISHED, starts_at__gt=now)
        .exclude(contract_route=FORBIDDEN_ROUTE)
        .annotate(
            booked=Count("missions", filter=Q(missions__state__in=ACTIVE_MISSION_STATES), distinct=True),
            last_sent=Max("proposals__created_at"),
        )
        .values_list("pk", "positions", "booked", "last_sent")
    )
    return [pk for pk, positions, booked, last in shifts
            if booked < positions and (last is None or last <= now - urgent_wave_delay())]


def urgent_pending_match(*, now: datetime | None = None) -> int:
    """Send the due wave of every urgent shift (periodic safety net); return the proposals sent."""
    total = 0
    for pk in urgent_shifts_due(now=now):
        shift = Shift.objects.filter(pk=pk).first()
        if shift is not None:
            total += urgent_shift_match(shift=shift, now=now)
    return total
