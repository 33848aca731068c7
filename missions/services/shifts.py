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

from establishments.models import Shift, ShiftState
from establishments.services import require_writer
from missions.models import CancelledBy, Mission, MissionState
from missions.services.missions import aggregates_refresh_queue, mission_cancel
from missions.services.proposals import proposals_withdraw
from ville_hopital.audit import audit_record


@transaction.atomic
def shift_cancel(*, actor, shift: Shift, reason: str) -> Shift:
    """A writer member (admin, HR) cancels a published shift before it starts, with a reason.

    Its booked missions are cancelled by the establishment (each professional is told the
    reason) and its pending proposals withdrawn. All or nothing.
    """
    require_writer(actor, shift.establishment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation : le professionnel le recevra.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Le motif ne doit pas dépasser 300 caractères.")})
    shift = Shift.objects.select_for_update().select_related("establishment", "unit").get(pk=shift.pk)
    if shift.state == ShiftState.CANCELLED:
        raise ValidationError({NON_FIELD_ERRORS: _("Cette vacation est déjà annulée.")})
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
    shift.state = ShiftState.CANCELLED
    shift.cancel_reason = reason
    shift.save(update_fields=["state", "cancel_reason"])
    audit_record(
        actor=actor, action="shift.cancel", target=shift, from_state=ShiftState.PUBLISHED,
        to_state=ShiftState.CANCELLED,
        data={"reason": reason, "missions": [m.pk for m in booked], "proposals_withdrawn": withdrawn},
    )
    aggregates_refresh_queue(shift=shift)  # its positions no longer count as posted
    return shift
