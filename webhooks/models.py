"""An establishment's webhooks: the HTTPS URLs its admins subscribe to its events, and each delivery.

Both are the establishment's administration: whatever the action asked (``ville_hopital.access``),
only its admins see or touch them (``for_user``); its HR and viewers get the same 404 as a stranger.
Two state machines, each changed only through ``ville_hopital.transitions.transition``: a
subscription is active or disabled (after failing deliveries, or re-enabled by an admin); a delivery
goes pending → succeeded, or failed (a retry is planned) → … → succeeded or given up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from establishments.models import Establishment
from ville_hopital.access import ADMIN, VIEW, Action, action_check


class WebhookEvent(models.TextChoices):
    """What an establishment may subscribe to (docs/webhooks.md lists each payload)."""

    SHIFT_FILLED = "shift.filled", _("vacation pourvue (son dernier poste réservé)")
    SHIFT_UNFILLED = "shift.unfilled", _("vacation non pourvue 48 h avant son début")
    MISSION_CANCELLED = "mission.cancelled", _("mission annulée")
    MISSION_DONE = "mission.done", _("mission effectuée (service fait)")
    CONTRACT_SIGNED = "contract.signed", _("contrat signé par les deux parties")


class SubscriptionState(models.TextChoices):
    ACTIVE = "active", _("active")
    DISABLED = "disabled", _("désactivée")


SUBSCRIPTION_TRANSITIONS = {
    SubscriptionState.ACTIVE: {SubscriptionState.DISABLED},
    SubscriptionState.DISABLED: {SubscriptionState.ACTIVE},
}


class WebhookSubscriptionQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> WebhookSubscriptionQuerySet:
        """Webhooks are the establishment's administration: to view them as to change them, only
        its admins (``ADMIN``). Their URLs say where its data goes; the log shows its traffic."""
        action_check(action)
        return self.filter(establishment__in=Establishment.objects.for_user(user, ADMIN))

    def active(self) -> WebhookSubscriptionQuerySet:
        return self.filter(state=SubscriptionState.ACTIVE)


class WebhookSubscription(models.Model):
    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="webhook_subscriptions", verbose_name=_("établissement")
    )
    url = models.CharField(_("adresse (URL HTTPS)"), max_length=500)
    #: The ``WebhookEvent`` codes delivered to this URL (a JSON list: SQLite has no array type).
    events = models.JSONField(_("événements"), default=list)
    # Kept as it is, unlike a password or an API token (stored hashed): the platform itself signs
    # every delivery with it (HMAC-SHA256), so it must read it back. It is shown to the admin once,
    # when the subscription is created, and never again: not on the page, not in the API.
    secret = models.CharField(max_length=80, editable=False)
    state = models.CharField(
        _("état"), max_length=10, choices=SubscriptionState.choices, default=SubscriptionState.ACTIVE
    )
    disabled_at = models.DateTimeField(_("désactivé le"), null=True, blank=True)
    disabled_reason = models.CharField(_("motif de la désactivation"), max_length=300, blank=True)
    # Deliveries given up in a row since the last success: at ``services.WEBHOOK_DISABLE_AFTER``,
    # the subscription is disabled.
    consecutive_failures = models.PositiveIntegerField(_("livraisons abandonnées d'affilée"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WebhookSubscriptionQuerySet.as_manager()
    TRANSITIONS = SUBSCRIPTION_TRANSITIONS

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("webhook")

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.state == SubscriptionState.ACTIVE

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(code, code)) for code in self.events]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("en attente")
    SUCCEEDED = "succeeded", _("réussie")
    FAILED = "failed", _("en échec, nouvel essai prévu")
    GIVEN_UP = "given_up", _("abandonnée")


# ``failed`` is the state between attempts (the next one is planned at ``next_attempt_at``): it
# moves to itself when an attempt fails again. ``succeeded`` and ``given_up`` are final.
DELIVERY_TRANSITIONS = {
    DeliveryState.PENDING: {DeliveryState.SUCCEEDED, DeliveryState.FAILED, DeliveryState.GIVEN_UP},
    DeliveryState.FAILED: {DeliveryState.SUCCEEDED, DeliveryState.FAILED, DeliveryState.GIVEN_UP},
}
OPEN_DELIVERY_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)


class WebhookDeliveryQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> WebhookDeliveryQuerySet:
        """The deliveries of the webhooks ``user`` may see: their establishments' admins only."""
        return self.filter(subscription__in=WebhookSubscription.objects.for_user(user, action))


class WebhookDelivery(models.Model):
    """One event for one subscription: the payload, and the log of its attempts."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("événement"), max_length=40, choices=WebhookEvent.choices)
    #: The event's id (the payload's ``id``): the same event is never delivered twice to a subscription.
    event_id = models.UUIDField(_("identifiant de l'événement"))
    payload = models.JSONField()
    state = models.CharField(_("état"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("dernier code HTTP"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    #: While an attempt is under way (a worker holds it): another copy of the task leaves it alone.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("dernière tentative"), null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WebhookDeliveryQuerySet.as_manager()
    TRANSITIONS = DELIVERY_TRANSITIONS

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_event_once_per_subscription"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        verbose_name = _("livraison de webhook")

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.state})"
