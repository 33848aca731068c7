"""The webhook events of shifts and missions (``webhooks.services.webhook_event_emit``).

Called by the services where each happens, inside their transaction (the deliveries leave once it
commits, or never if it rolls back):

- ``shift.filled``: ``proposal_accept`` booked the shift's last free position (every booking —
  nightly offers, urgent waves, a direct take, HR's manual offers — goes through it). One event per
  filling: a position freed by a cancellation and booked again fills the shift again.
- ``mission.cancelled``: ``mission_cancel`` (either side, the platform, or a cancelled shift).
- ``mission.done``: ``mission_complete`` with service fait.
- ``shift.unfilled``: ``shifts_unfilled_emit``, a periodic sweep: a published shift that reaches
  its deadline with positions open. The deadline is the start of the urgent window,
  ``URGENT_WITHIN`` (48 h) before the start — the one definition of urgent. A shift posted inside
  that window never had a deadline to miss (its urgent waves are just going out): no event. Once
  per shift (its event id), however often the sweep runs.

What a payload says is what the establishment already sees on its board: the shift, the mission,
and who is booked (name and RPPS, as on the mission and the contract).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from establishments.models import URGENT_WITHIN, Shift, ShiftState
from missions.core.models import ACTIVE_MISSION_STATES, Mission
from webhooks.models import WebhookEvent, WebhookSubscription
from webhooks.services import webhook_event_emit, webhook_event_id


def iso(moment: datetime | None) -> str | None:
    """A datetime as the API writes it: ISO 8601, local time with its offset."""
    return None if moment is None else timezone.localtime(moment).isoformat()


def shift_data(shift: Shift, *, filled: int | None = None) -> dict[str, Any]:
    if filled is None:
        filled = Mission.objects.filter(shift=shift, state__in=ACTIVE_MISSION_STATES).count()
    return {
        "id": shift.pk, "unit": {"id": shift.unit_id, "name": shift.unit.name},
        "profession": shift.profession_id, "starts_at": iso(shift.starts_at), "ends_at": iso(shift.ends_at),
        "positions": shift.positions, "filled": filled, "pay": str(shift.pay), "urgent": shift.is_urgent(),
        "state": shift.state,
    }


def mission_data(mission: Mission) -> dict[str, Any]:
    professional = mission.professional
    return {
        "id": mission.pk, "shift": mission.shift_id, "position": mission.position, "state": mission.state,
        "starts_at": iso(mission.starts_at), "ends_at": iso(mission.ends_at), "pay": str(mission.pay),
        "professional": {"rpps": professional.rpps, "name": professional.user.get_full_name()},
        "booked_at": iso(mission.booked_at), "closed_at": iso(mission.closed_at),
        "cancelled_by": mission.cancelled_by or None, "cancel_reason": mission.cancel_reason or None,
    }


def shift_filled_emit(*, shift: Shift, mission: Mission) -> int:
    """``shift.filled``: ``mission`` took the last free position of ``shift``."""
    return webhook_event_emit(
        establishment_id=shift.establishment_id, event=WebhookEvent.SHIFT_FILLED,
        event_id=webhook_event_id(WebhookEvent.SHIFT_FILLED, shift.pk, mission.pk),
        occurred_at=mission.booked_at, data={"shift": shift_data(shift), "mission": mission_data(mission)},
    )


def _mission_event(mission: Mission, event: str) -> int:
    return webhook_event_emit(
        establishment_id=mission.shift.establishment_id, event=event, event_id=webhook_event_id(event, mission.pk),
        occurred_at=mission.closed_at, data={"shift": shift_data(mission.shift), "mission": mission_data(mission)},
    )


def mission_cancelled_emit(*, mission: Mission) -> int:
    return _mission_event(mission, WebhookEvent.MISSION_CANCELLED)


def mission_done_emit(*, mission: Mission) -> int:
    return _mission_event(mission, WebhookEvent.MISSION_DONE)


def shifts_unfilled_emit(*, now: datetime | None = None) -> int:
    """``shift.unfilled`` for each published shift past its deadline (``URGENT_WITHIN`` before its
    start), not started, with open positions, posted before that deadline, at an establishment with
    a subscription (periodic; idempotent). Returns how many deliveries were created."""
    now = now or timezone.now()
    subscribed = WebhookSubscription.objects.active().values("establishment_id")
    shifts = (
        Shift.objects.filter(
            state=ShiftState.PUBLISHED, starts_at__gt=now, starts_at__lte=now + URGENT_WITHIN,
            created_at__lte=F("starts_at") - URGENT_WITHIN, establishment_id__in=subscribed,
        )
        .annotate(booked=Count("missions", filter=Q(missions__state__in=ACTIVE_MISSION_STATES)))
        .filter(booked__lt=F("positions"))
        .select_related("unit")
        .order_by("starts_at", "pk")
    )
    return sum(
        webhook_event_emit(
            establishment_id=shift.establishment_id, event=WebhookEvent.SHIFT_UNFILLED,
            event_id=webhook_event_id(WebhookEvent.SHIFT_UNFILLED, shift.pk),
            occurred_at=shift.starts_at - URGENT_WITHIN,
            data={"shift": shift_data(shift, filled=shift.booked), "open_positions": shift.positions - shift.booked},
        )
        for shift in shifts
    )
