"""Notifications: the in-app row (always), one delivery per external channel, preferences, digests.

- ``Notification``: what the recipient sees in the notification centre. ``dedupe_key`` is unique
  per recipient: "never more than one message per event".
- ``Delivery``: one email or SMS to send for a notification (or one digest email). Its
  ``idempotency_key`` is unique; its state moves pending → sending → sent | failed (a transient
  error puts it back to pending for a retry with backoff). See docs/notifications.md.
- ``NotificationSettings`` (language; the SMS choices: urgent offers by SMS, night SMS for a shift
  starting within a few hours; the number that was verified) and ``EventPreference`` (per event:
  email, SMS, daily digest).
- ``PhoneVerification``: the pending 6-digit code sent to the account's mobile (hashed), its
  expiry, the wrong tries and the lock, the sends counted for the resend limit.
- ``Digest``: one per user per day, the email that carries the notifications held for it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.events import EVENT_CHOICES
from ville_hopital.access import VIEW, Action, action_check


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("en attente")
    SENDING = "sending", _("en cours d'envoi")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec")


# ``sending`` holds a lease: it ends sent, pending again (a transient error: retried later) or
# failed (a permanent error, or a worker that died mid-send: never sent twice). Staff may send a
# failed one again.
DELIVERY_TRANSITIONS = {
    DeliveryState.PENDING: {DeliveryState.SENDING},
    DeliveryState.SENDING: {DeliveryState.SENT, DeliveryState.PENDING, DeliveryState.FAILED},
    DeliveryState.FAILED: {DeliveryState.PENDING},
}


class DigestState(models.TextChoices):
    NONE = "", _("envoi immédiat")
    HELD = "held", _("en attente du résumé")
    SENT = "sent", _("envoyé dans le résumé")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user, action: Action = VIEW) -> NotificationQuerySet:
        """One's own notifications, to read and to mark read."""
        action_check(action)
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Digest(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digests")
    day = models.DateField(_("jour"), help_text=_("jour (Europe/Paris) du résumé : un seul par personne et par jour"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="notifications_digest_one_per_day")]
        verbose_name = _("résumé quotidien")
        verbose_name_plural = _("résumés quotidiens")

    def __str__(self) -> str:
        return f"{self.user} {self.day}"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(_("événement"), max_length=40, choices=EVENT_CHOICES)
    dedupe_key = models.CharField(
        _("clé de déduplication"), max_length=120, help_text=_("unique par destinataire, ex. proposal:123:new")
    )
    urgent = models.BooleanField(_("urgente"), default=False)
    language = models.CharField(_("langue"), max_length=5, default="fr")
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"))
    sms_text = models.CharField(_("texte SMS"), max_length=480, blank=True)
    url = models.CharField(_("lien"), max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    digest_state = models.CharField(
        _("résumé"), max_length=10, choices=DigestState.choices, default=DigestState.NONE, blank=True
    )
    digest = models.ForeignKey(Digest, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notifications_one_per_dedupe_key"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
            models.Index(fields=["digest_state", "recipient"], name="notif_digest_state"),
        ]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.dedupe_key})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    digest = models.OneToOneField(Digest, on_delete=models.CASCADE, null=True, blank=True, related_name="delivery")
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=200, unique=True)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"))
    state = models.CharField(_("état"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    address = models.CharField(_("adresse utilisée"), max_length=254, blank=True)
    provider_reference = models.CharField(_("référence du fournisseur"), max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text=_("fin du bail d'envoi en cours"))
    next_attempt_at = models.DateTimeField(
        _("prochaine tentative"), default=timezone.now, help_text=_("pas d'envoi avant cette heure (délai croissant)")
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    TRANSITIONS = DELIVERY_TRANSITIONS  # every change through ville_hopital.transitions.transition

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(notification__isnull=False) | models.Q(digest__isnull=False),
                name="notifications_delivery_has_source",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "channel"], name="notif_delivery_state"),
            models.Index(fields=["state", "next_attempt_at"], name="notif_delivery_due"),
        ]
        verbose_name = _("envoi")

    def __str__(self) -> str:
        return f"{self.channel} {self.idempotency_key} [{self.state}]"


class NotificationSettings(models.Model):
    """The person's channel choices. The mobile number itself is ``User.phone`` (E.164, set through
    ``notifications.services.phone_set``); ``phone_verified`` is the number a code confirmed, so a
    new number is unverified until its own code comes back."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    language = models.CharField(_("langue des messages"), max_length=5, choices=settings.LANGUAGES, default="fr")
    urgent_sms = models.BooleanField(
        _("offres urgentes par SMS"), default=False,
        help_text=_("une offre sur une vacation urgente part aussi par SMS (numéro vérifié requis)"),
    )
    night_sms = models.BooleanField(
        _("SMS la nuit pour une vacation imminente"), default=False,
        help_text=_("entre 21 h et 7 h, un SMS part seulement si la vacation commence dans les 6 heures et que ceci est coché"),
    )
    phone_verified = models.CharField(_("numéro vérifié"), max_length=20, blank=True)
    phone_verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réglages de notification")
        verbose_name_plural = _("réglages de notification")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


class EventPreference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    event = models.CharField(_("événement"), max_length=40, choices=EVENT_CHOICES)
    email = models.BooleanField(_("e-mail"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    digest = models.BooleanField(_("résumé quotidien"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notifications_one_pref_per_event")]
        verbose_name = _("préférence de notification")

    def __str__(self) -> str:
        return f"{self.user} {self.event}"


class PhoneVerification(models.Model):
    """One pending verification per person: the code is stored hashed (HMAC keyed with SECRET_KEY,
    bound to the person and the number), never in clear."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verification")
    phone = models.CharField(_("numéro"), max_length=20)
    code_hash = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("codes erronés"), default=0)
    locked_until = models.DateTimeField(_("bloquée jusqu'au"), null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    sends_window_start = models.DateTimeField(null=True, blank=True)
    sends_in_window = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("vérification de numéro")
        verbose_name_plural = _("vérifications de numéro")

    def __str__(self) -> str:
        return f"{self.user} {self.phone}"
