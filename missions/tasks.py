"""Celery tasks of the missions app: thin, take ids or ISO dates, call one service, idempotent.

Schedule (``ville_hopital/celery.py``, Europe/Paris): ``match_night`` at 02:00, ``expire_proposals``
every 10 minutes, ``match_urgent_pending`` every 5 minutes; notices: ``notify_expiring_proposals``
every 15 minutes, ``remind_missions`` at 18:00, ``notify_unfilled_shifts`` hourly; webhooks:
``webhooks_unfilled_shifts`` every 10 minutes.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError

from establishments.models import Shift
from missions.booking.services.notices import (
    missions_reminder_notify,
    proposals_expiring_notify,
    shifts_unfilled_notify,
)
from missions.booking.services.proposals import proposals_expire
from missions.core.models import MatchingRunKind
from missions.core.webhook_events import shifts_unfilled_emit
from missions.platform.services.matching import matching_run_night, matching_run_region, proposals_notify
from missions.platform.services.urgent import urgent_pending_match, urgent_shift_match


@shared_task(bind=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=60, max_retries=3)
def match_region(self, region_code: str, start_iso: str) -> int:
    """Nightly matching of one region from ``start_iso``; returns the MatchingRun id.

    A lost database connection is retried (the failed run rolled back; the retry proposes what is
    open). A worker killed mid-run leaves the message unacknowledged (``acks_late``): it is
    delivered again and the new run marks the interrupted one failed.
    """
    run = matching_run_region(region_code=region_code, start=date.fromisoformat(start_iso),
                              kind=MatchingRunKind.NIGHTLY, task_id=self.request.id or "")
    return run.pk


@shared_task
def match_night(start_iso: str | None = None) -> list[str]:
    """Fan out: one ``match_region`` task per region (today by default, local time)."""
    return matching_run_night(start=date.fromisoformat(start_iso) if start_iso else None)


@shared_task
def match_urgent_shift(shift_id: int, wave: int) -> int:
    """Send wave ``wave`` of an urgent shift (nothing if it was already sent or the shift is full)."""
    shift = Shift.objects.filter(pk=shift_id).first()
    if shift is None:
        return 0
    return urgent_shift_match(shift=shift, wave=wave)


@shared_task
def match_urgent_pending() -> int:
    """Safety net: every urgent shift whose next wave is due gets it (lost countdowns, new posts)."""
    return urgent_pending_match()


@shared_task
def notify_proposals(proposal_ids: list[int]) -> int:
    """Notify the professionals of these new proposals (idempotent per proposal)."""
    return proposals_notify(proposal_ids=proposal_ids)


@shared_task
def expire_proposals() -> int:
    """Pending proposals past their expiry become expired: their positions go back to the pool."""
    return proposals_expire()


@shared_task
def notify_expiring_proposals() -> int:
    """``proposal.expiring`` for pending offers expiring within 2 h (idempotent per proposal)."""
    return proposals_expiring_notify()


@shared_task
def remind_missions() -> int:
    """``mission.reminder`` for booked missions starting tomorrow (idempotent per mission)."""
    return missions_reminder_notify()


@shared_task
def notify_unfilled_shifts() -> int:
    """``shift.unfilled`` for published shifts starting within 24 h with open positions (idempotent)."""
    return shifts_unfilled_notify()


@shared_task
def webhooks_unfilled_shifts() -> int:
    """Webhook ``shift.unfilled`` for shifts reaching their deadline (48 h before the start) with open
    positions (idempotent: once per shift)."""
    return shifts_unfilled_emit()
