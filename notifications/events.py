"""The registry of notification events: what each one is called, who receives it, its defaults.

An event's messages are Django templates under ``templates/notifications/<event>/``:
``subject.txt`` (email subject and in-app title), ``body.txt`` (email body and in-app text) and
``sms.txt`` (one short SMS). They are written in French; English comes from the app's catalogue
(``notifications/locale/en``) when the recipient's preference says ``language = "en"``.

``required`` names the context keys a caller must pass; anything else in the context is available
to the templates too. ``url`` (a path on this site, e.g. ``/missions/12/``) becomes the link of the
in-app notification and of the email. ``starts_at`` (when the shift or mission starts), when the
context has it, lets an SMS through the quiet hours for something that starts within a few hours.

``urgent_sms``: sent as urgent (``notify(..., urgent=True)``), the event goes by SMS to everyone who
chose "urgent offers by SMS" (``NotificationSettings.urgent_sms``), whatever their SMS box for the
event says: that is what the choice means.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Event:
    code: str
    label: object  # lazy translation
    audience: tuple[str, ...]  # whose preferences page lists it: professionals, establishment members
    required: tuple[str, ...]
    default_email: bool = True
    default_sms: bool = False
    default_digest: bool = False
    urgent_sms: bool = False


PROFESSIONAL = "professional"
ESTABLISHMENT = "establishment"
BOTH = (PROFESSIONAL, ESTABLISHMENT)

_EVENTS = [
    Event(
        "proposal.new", _("Nouvelle proposition de mission"), (PROFESSIONAL,),
        ("shift", "establishment", "starts_at", "ends_at", "expires_at", "url"),
        urgent_sms=True,
    ),
    Event(
        "proposal.expiring", _("Proposition bientôt expirée"), (PROFESSIONAL,),
        ("shift", "establishment", "expires_at", "url"),
    ),
    Event(
        # An offer taken back before its answer: every position was filled (``filled``: true), or HR
        # cancelled the shift (``reason``). Told at once: nobody should keep waiting on a dead offer.
        "proposal.withdrawn", _("Proposition retirée"), (PROFESSIONAL,),
        ("shift", "establishment", "starts_at", "url"),
    ),
    Event(
        "mission.booked", _("Mission réservée"), BOTH,
        ("shift", "establishment", "professional", "starts_at", "ends_at", "url"),
    ),
    Event(
        "mission.cancelled", _("Mission annulée"), BOTH,
        ("shift", "establishment", "starts_at", "reason", "url"),
        default_sms=True,
    ),
    Event(
        "mission.reminder", _("Rappel : mission demain"), (PROFESSIONAL,),
        ("shift", "establishment", "starts_at", "ends_at", "address", "url"),
    ),
    Event(
        "contract.to_sign", _("Contrat à signer"), BOTH,
        ("contract", "counterparty", "starts_at", "url"),
    ),
    Event(
        "contract.unsigned", _("Contrat non signé, mission dans 24 h"), BOTH,
        ("contract", "counterparty", "starts_at", "url"),
        default_sms=True,
    ),
    Event(
        "credential.expiring", _("Justificatif bientôt expiré"), (PROFESSIONAL,),
        ("credential", "expires_on", "url"),
        default_digest=True,
    ),
    Event(
        "shift.unfilled", _("Vacation non pourvue à 24 h"), (ESTABLISHMENT,),
        ("shift", "unit", "starts_at", "open_positions", "url"),
    ),
    Event(
        # To the establishment's admins: one of its webhooks kept failing and was turned off
        # (``webhooks.services``). ``endpoint`` is the webhook's URL, ``url`` the page to re-enable it.
        "webhook.disabled", _("Webhook désactivé après des échecs répétés"), (ESTABLISHMENT,),
        ("endpoint", "failures", "url"),
    ),
]

EVENTS: dict[str, Event] = {event.code: event for event in _EVENTS}
EVENT_CHOICES = [(event.code, event.label) for event in _EVENTS]


def get_event(code: str) -> Event:
    try:
        return EVENTS[code]
    except KeyError:
        raise ValueError(f"unknown notification event {code!r}; known: {', '.join(EVENTS)}") from None
