"""HR's side of a shift's lifecycle once it is published: cancellation.

Cancelling a shift cancels its booked missions (``mission_cancel``, by the establishment, with
the reason), withdraws its pending proposals; ``mission_cancel`` tells every booked professional
(event ``mission.cancelled``, skipping the digest only for an urgent shift: ``Shift.is_urgent``; the
dedupe key ``mission:<id>:cancelled`` means nobody is told twice).
Closing a mission after the shift (service fait / absence) is ``missions.mission_complete``.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from establishments.access import establishment_require
from establishments.models import Shift, ShiftState
from missions.booking.services.missions import aggregates_refresh_queue, mission_cancel
from missions.booking.services.proposals import proposals_withdraw
from missions.core.models import CancelledBy, Mission, MissionState
from ville_hopital.access import CHANGE
from ville_hopital.transitions import transition, transition_check


@transaction.atomic
def shift_cancel(*, actor, shift: Shift, reason: str) -> Shift:
    """A writer member (admin, HR) cancels a published shift before it starts, with a reason.

    Its booked missions are cancelled by the establishment (each professional is told the
    reason) and its pending proposals withdrawn. All or nothing.
    """
    establishment_require(actor, shift.establishment, CHANGE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation : le professionnel le recevra.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Le motif ne doit pas dépasser 300 caractères.")})
    shift = Shift.objects.select_for_update().select_related("establishment", "unit").get(pk=shift.pk)
    transition_check(shift, to_state=ShiftState.CANCELLED)
    if shift.starts_at <= timezone.now():
        raise ValidationError(
            {NON_FIELD_ERRORS: _("La vacation a commencé : validez le service fait ou signalez une absence.")}
        )
    booked = list(
        Mission.objects.filter(shift=shift, state=MissionState.BOOKED).select_related("professional__user")
    )
    for mission in booked:
        mission_cancel(actor=actor, mission=mission, reason=reason, by=CancelledBy.ESTABLISHMENT)
    withdrawn = proposals_withdraw(actor=actor, shift=shift, reason=reason)
    shift.cancel_reason = reason
    transition(shift, to_state=ShiftState.CANCELLED, actor=actor, action="shift.cancel",
               data={"reason": reason, "missions": [m.pk for m in booked], "proposals_withdrawn": withdrawn},
               update_fields=["cancel_reason"])
    aggregates_refresh_queue(shift=shift)  # its positions no longer count as posted
    return shift
