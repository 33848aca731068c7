"""What the missions app tells people, through ``notifications.notify`` (the only way out).

Two kinds of callers:

* the transitions — ``proposal_accept`` calls ``mission_booked_notify``, ``mission_cancel`` calls
  ``mission_cancelled_notify``, ``proposals_withdraw`` calls ``proposals_withdrawn_notify`` — inside
  their transaction (nothing is sent if it rolls back);
* the periodic scans (``missions.tasks``, scheduled in ``ville_hopital/celery.py``):
  ``proposals_expiring_notify``, ``missions_reminder_notify``, ``shifts_unfilled_notify``.

Every message has a dedupe key (``mission:<id>:booked``, ``proposal:<id>:expiring``…): running a
scan twice, or a transition and a scan for the same object, tells each person once.

Choices where the brief was silent (written down here and in the final report):

* the establishment side is every **admin and HR** member of the shift's establishment (a viewer
  reads the board but is not the one who acts);
* a cancellation by the **platform** is told to both sides;
* ``proposal.expiring`` skips offers whose whole life is 2 h or less (urgent waves): their
  ``proposal.new`` already carried a close deadline, a second message minutes later is noise;
* only a notification about an **urgent shift** may skip the daily digest (the issue: "urgent
  shifts are the only ones that may bypass the digest"). ``Shift.is_urgent`` (the one definition of
  urgent: HR's flag, or a start within 48 h) decides it, for every caller (cancellations, offers,
  expiring offers, unfilled shifts, unsigned contracts). So a mission cancelled 10 days ahead waits
  for the digest of a person who chose it; one cancelled 20 h ahead is sent at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from establishments.models import Membership, Shift, ShiftState
from missions.core.models import (
    ACTIVE_MISSION_STATES,
    CancelledBy,
    Mission,
    MissionState,
    Proposal,
    ProposalState,
)
from notifications.services import notify
from professionals.models import Professional
from ville_hopital.access import CHANGE

#: ``proposal.expiring`` is sent when a pending offer expires within this delay.
EXPIRING_WITHIN = timedelta(hours=2)
#: ``shift.unfilled`` is sent when a published shift with open positions starts within this delay.
UNFILLED_WITHIN = timedelta(hours=24)


def establishment_writers(establishment_id: int) -> list:
    """The admin and HR members of an establishment (the people who act on its shifts)."""
    return list(
        get_user_model().objects.filter(
            memberships__in=Membership.objects.filter(establishment_id=establishment_id).allowed_to(CHANGE)
        ).order_by("pk")
    )


def _notify_writers(establishment_id: int, **message: Any) -> int:
    """Send one message (``notify`` keyword arguments) to each admin/HR member of an establishment;
    returns how many were created. The one loop for the establishment side of every notice."""
    return sum(bool(notify(recipient=user, **message)) for user in establishment_writers(establishment_id))


def shift_title(shift: Shift, holder: Professional | None = None) -> str:
    """How a shift is named in messages: « Infirmier — Urgences ». Told to ``holder``, the
    professional it is offered to or booked for, their profession reads as theirs does
    (« Infirmière — Urgences » for Madame: ``Professional.profession_label``)."""
    if holder is not None and holder.profession_id == shift.profession_id:
        return f"{holder.profession_label} — {shift.unit.name}"
    return f"{shift.profession} — {shift.unit.name}"


def _person(user) -> str:
    return user.get_full_name() or user.email


def _mission_context(mission: Mission, *, to_professional: bool) -> dict[str, Any]:
    """A mission's message context, for its professional (``to_professional``) or the establishment."""
    shift = mission.shift
    return {
        "shift": shift_title(shift, mission.professional if to_professional else None),
        "establishment": shift.establishment.name,
        "professional": _person(mission.professional.user),
        "starts_at": mission.starts_at,
        "ends_at": mission.ends_at,
    }


#: What a mission's messages read: one query for all of it.
MISSION_RELATIONS = (
    "shift__establishment__commune", "shift__unit", "shift__profession", "shift__location", "professional__user",
    "professional__profession",
)


def _with_relations(mission: Mission) -> Mission:
    return Mission.objects.select_related(*MISSION_RELATIONS).get(pk=mission.pk)


def mission_booked_notify(*, mission: Mission) -> int:
    """``mission.booked`` to the professional and to each admin/HR member of the establishment.
    Returns how many notifications were created (0 when all were already sent)."""
    mission = _with_relations(mission)
    key = f"mission:{mission.pk}:booked"
    sent = bool(notify(
        recipient=mission.professional.user, event="mission.booked", dedupe_key=key,
        context={**_mission_context(mission, to_professional=True),
                 "url": reverse("missions:mission_detail", args=[mission.pk])},
    ))
    hr_url = reverse("missions:hr_board", args=[mission.shift.establishment_id])
    return sent + _notify_writers(
        mission.shift.establishment_id, event="mission.booked", dedupe_key=key,
        context={**_mission_context(mission, to_professional=False), "url": hr_url},
    )


def mission_cancelled_notify(*, mission: Mission) -> int:
    """``mission.cancelled`` (urgent only when the shift is: ``Shift.is_urgent``) to the side that
    did not cancel: the professional when the establishment cancels, the admin/HR members when the
    professional does, both when the platform does. Same dedupe key ``mission:<id>:cancelled`` as everywhere, so ``shift_cancel`` never
    doubles it."""
    mission = _with_relations(mission)
    key = f"mission:{mission.pk}:cancelled"
    urgent = mission.shift.is_urgent()
    sent = 0
    if mission.cancelled_by in (CancelledBy.ESTABLISHMENT, CancelledBy.PLATFORM):
        sent += bool(notify(
            recipient=mission.professional.user, event="mission.cancelled", urgent=urgent, dedupe_key=key,
            context={**_mission_context(mission, to_professional=True), "reason": mission.cancel_reason,
                     "url": reverse("missions:mission_detail", args=[mission.pk])},
        ))
    if mission.cancelled_by in (CancelledBy.PROFESSIONAL, CancelledBy.PLATFORM):
        hr_url = reverse("missions:hr_board", args=[mission.shift.establishment_id])
        sent += _notify_writers(
            mission.shift.establishment_id, event="mission.cancelled", urgent=urgent, dedupe_key=key,
            context={**_mission_context(mission, to_professional=False), "reason": mission.cancel_reason, "url": hr_url},
        )
    return sent


#: The reason ``proposal_accept`` gives ``proposals_withdraw`` when the last position is booked.
WITHDRAWN_SHIFT_FULL = "shift_full"


def proposals_withdrawn_notify(*, shift: Shift, proposals: list[Proposal], reason: str) -> int:
    """``proposal.withdrawn`` to the holder of each offer just withdrawn: the shift is full
    (``reason`` is ``WITHDRAWN_SHIFT_FULL``) or HR cancelled it (``reason`` is theirs). Urgent when
    the shift is (``Shift.is_urgent``). Idempotent (``proposal:<id>:withdrawn``)."""
    if not proposals:
        return 0
    shift = Shift.objects.select_related("establishment", "unit", "profession").get(pk=shift.pk)
    filled = reason == WITHDRAWN_SHIFT_FULL
    context = {
        "establishment": shift.establishment.name, "starts_at": shift.starts_at,
        "filled": filled, "reason": "" if filled else reason, "url": reverse("missions:proposals"),
    }
    urgent = shift.is_urgent()
    holders = {
        p.pk: p.professional for p in Proposal.objects.filter(pk__in=[p.pk for p in proposals])
        .select_related("professional__user", "professional__profession").order_by("pk")
    }
    return sum(
        bool(notify(recipient=holders[p.pk].user, event="proposal.withdrawn", urgent=urgent,
                    context={**context, "shift": shift_title(shift, holders[p.pk])},
                    dedupe_key=f"proposal:{p.pk}:withdrawn"))
        for p in proposals
    )


# --- Periodic scans ---------------------------------------------------------------------------


def proposals_expiring_notify(*, now: datetime | None = None) -> int:
    """``proposal.expiring`` for every pending offer expiring within the next 2 h (and that lived
    longer than that). Idempotent (``proposal:<id>:expiring``). Returns how many were sent."""
    now = now or timezone.now()
    due = (
        Proposal.objects.filter(
            state=ProposalState.PENDING, expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN,
            created_at__lt=F("expires_at") - EXPIRING_WITHIN,
        )
        .select_related(
            "professional__user", "professional__profession", "shift__establishment", "shift__unit", "shift__profession"
        )
        .order_by("expires_at", "pk")
    )
    url = reverse("missions:proposals")
    sent = 0
    for proposal in due:
        shift = proposal.shift
        sent += bool(notify(
            recipient=proposal.professional.user, event="proposal.expiring", urgent=shift.is_urgent(now),
            dedupe_key=f"proposal:{proposal.pk}:expiring",
            context={
                "shift": shift_title(shift, proposal.professional), "establishment": shift.establishment.name,
                "starts_at": shift.starts_at, "expires_at": proposal.expires_at, "url": url,
            },
        ))
    return sent


def _address(shift: Shift) -> str:
    """Where to go: the establishment's address, or the commune where a mobile unit parks."""
    establishment = shift.establishment
    if shift.location_id and shift.location_id != establishment.commune_id:
        return str(shift.location)
    return f"{establishment.address}, {establishment.commune}"


def missions_reminder_notify(*, now: datetime | None = None) -> int:
    """``mission.reminder`` to the professional of every booked mission starting tomorrow (local
    day, Europe/Paris). Idempotent (``mission:<id>:reminder``). Returns how many were sent."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(tomorrow + timedelta(days=1), datetime.min.time()))
    due = (
        Mission.objects.filter(state=MissionState.BOOKED, starts_at__gte=start, starts_at__lt=end)
        .select_related(*MISSION_RELATIONS)
        .order_by("starts_at", "pk")
    )
    sent = 0
    for mission in due:
        unit = mission.shift.unit
        sent += bool(notify(
            recipient=mission.professional.user, event="mission.reminder",
            dedupe_key=f"mission:{mission.pk}:reminder",
            context={
                **_mission_context(mission, to_professional=True), "address": _address(mission.shift),
                "where_to_go": unit.where_to_go, "contact": unit.contact,
                "url": reverse("missions:mission_detail", args=[mission.pk]),
            },
        ))
    return sent


def shifts_unfilled_notify(*, now: datetime | None = None) -> int:
    """``shift.unfilled`` (urgent: such a shift starts within 48 h) to the admin/HR members for
    every published shift starting within 24 h with open positions. Idempotent
    (``shift:<id>:unfilled``). Returns how many were sent."""
    now = now or timezone.now()
    shifts = (
        Shift.objects.filter(state=ShiftState.PUBLISHED, starts_at__gt=now, starts_at__lte=now + UNFILLED_WITHIN)
        .annotate(filled=Count("missions", filter=Q(missions__state__in=ACTIVE_MISSION_STATES)))
        .filter(filled__lt=F("positions"))
        .select_related("unit", "profession")
        .order_by("starts_at", "pk")
    )
    sent = 0
    for shift in shifts:
        context = {
            "shift": str(shift.profession), "unit": shift.unit.name, "starts_at": shift.starts_at,
            "open_positions": shift.positions - shift.filled,
            # why nobody took it (matching explanation), not just the board: what HR needs to act
            "url": reverse("missions:matching_why_unfilled", args=[shift.pk]),
        }
        sent += _notify_writers(
            shift.establishment_id, event="shift.unfilled", urgent=shift.is_urgent(now),
            dedupe_key=f"shift:{shift.pk}:unfilled", context=context,
        )
    return sent
