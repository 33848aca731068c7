"""Missions after booking: cancellation (either side) and closing (service fait / absence).

State machine (``missions.models.MISSION_TRANSITIONS``): booked → done | no_show | cancelled.
Every transition writes an audit row. A cancelled mission frees its position: the database
constraints on positions only count missions that are not cancelled.

Each transition carries its consequences in the same transaction: the contract follows the
mission (``missions.contracts.services``: cancelled with it; completed after "service fait";
cancelled on a no-show), the other side is told, and the ARS aggregates of the shift's day are
refreshed once it commits (``aggregates_refresh_queue``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from establishments.access import establishment_allows
from establishments.models import Shift
from missions.booking.services.notices import mission_cancelled_notify
from missions.contracts.services import contracts_cancel_for_mission, contracts_complete_for_mission
from missions.core.models import PROFESSIONAL_CANCEL_NOTICE, CancelledBy, Mission, MissionState
from missions.core.webhook_events import mission_cancelled_emit, mission_done_emit
from ville_hopital.access import CHANGE
from ville_hopital.task_queue import task_queue_on_commit
from ville_hopital.transitions import transition, transition_check

COMPLETION_OUTCOMES = (MissionState.DONE, MissionState.NO_SHOW)
#: The ARS dashboards (``dashboards``) sit above this app: their refresh is queued by name.
AGGREGATES_REFRESH_TASK = "dashboards.tasks.refresh_days"


def aggregates_refresh_queue(*, shift: Shift) -> None:
    """Once the transaction commits, refresh the dashboards' aggregates of the shift's day (local
    date) for its establishment: one day × one establishment, a fraction of a second. The 5-minute
    ``dashboards.tasks.refresh_recent`` catches a message lost on the way."""
    day = timezone.localdate(shift.starts_at).isoformat()
    task_queue_on_commit(AGGREGATES_REFRESH_TASK, [day], [shift.establishment_id])


def _locked(mission: Mission) -> Mission:
    return Mission.objects.select_for_update().select_related("shift", "professional").get(pk=mission.pk)


@transaction.atomic
def mission_cancel(*, actor, mission: Mission, reason: str, by: CancelledBy | str) -> Mission:
    """Cancel a booked mission before it starts, with a reason (required).

    * ``by=professional``: only the professional themself, and not within 48 h of the start (the
      refusal says so: they must call the establishment, who can still cancel);
    * ``by=establishment``: a writer member (admin, HR) of the shift's establishment, any time
      before the start;
    * ``by=platform``: platform staff.

    The other side is told (``mission.cancelled``; it skips the digest only for an urgent shift,
    ``Shift.is_urgent``): the
    professional when the establishment cancels, the admin/HR members when the professional does,
    both when the platform does.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Le motif ne doit pas dépasser 300 caractères.")})
    by = CancelledBy(by)
    mission = _locked(mission)
    if by == CancelledBy.PROFESSIONAL and mission.professional.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Cette mission n'est pas la vôtre."))
    if by == CancelledBy.ESTABLISHMENT and not establishment_allows(actor, mission.shift.establishment_id, CHANGE):
        raise PermissionDenied(_("Seuls les administrateurs et RH de l'établissement peuvent annuler."))
    if by == CancelledBy.PLATFORM and not getattr(actor, "is_staff", False):
        raise PermissionDenied(_("Réservé à l'équipe de la plateforme."))
    transition_check(mission, to_state=MissionState.CANCELLED)
    now = timezone.now()
    if mission.starts_at <= now:
        raise ValidationError(_("La mission a déjà commencé : elle ne peut plus être annulée."))
    if by == CancelledBy.PROFESSIONAL and mission.starts_at - now < PROFESSIONAL_CANCEL_NOTICE:
        raise ValidationError(
            _(
                "Annulation impossible à moins de 48 h du début de la mission. "
                "Contactez directement l'établissement."
            )
        )
    mission.closed_at = now
    mission.cancelled_by = by
    mission.cancel_reason = reason
    transition(mission, to_state=MissionState.CANCELLED, actor=actor, action="mission.cancel",
               data={"by": by.value, "reason": reason}, update_fields=["closed_at", "cancelled_by", "cancel_reason"])
    contracts_cancel_for_mission(actor=actor, mission=mission, reason=reason)
    mission_cancelled_notify(mission=mission)
    mission_cancelled_emit(mission=mission)
    aggregates_refresh_queue(shift=mission.shift)
    return mission


@transaction.atomic
def mission_complete(*, actor, mission: Mission, outcome: str) -> Mission:
    """HR closes a mission after its end: ``done`` (service fait, it will be paid) or ``no_show``.

    Service fait completes the contract signed by both; an absence cancels the contract still open
    (reason « absence »). A contract never signed by both stays as it is after service fait: the
    mission was worked, the paperwork is flagged (``contracts_flag_unsigned``) and stays visible.
    """
    if outcome not in COMPLETION_OUTCOMES:
        raise ValidationError({"outcome": _("Issue inconnue : %(o)s.") % {"o": outcome}})
    mission = _locked(mission)
    if not establishment_allows(actor, mission.shift.establishment_id, CHANGE):
        raise PermissionDenied(_("Seuls les administrateurs et RH de l'établissement peuvent valider."))
    transition_check(mission, to_state=outcome)
    now = timezone.now()
    if mission.ends_at > now:
        raise ValidationError(_("La mission n'est pas terminée : le service fait se valide après la fin."))
    mission.closed_at = now
    transition(mission, to_state=outcome, actor=actor, action="mission.complete", update_fields=["closed_at"])
    if mission.state == MissionState.DONE:
        contracts_complete_for_mission(actor=actor, mission=mission)
        mission_done_emit(mission=mission)
    else:
        contracts_cancel_for_mission(actor=actor, mission=mission, reason=_("absence du professionnel"))
    aggregates_refresh_queue(shift=mission.shift)
    return mission
