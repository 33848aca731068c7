"""The audit trail: one row per state transition or sensitive action, whoever made it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("empty for the system (nightly matching, expiry)"),
    )
    action = models.CharField(_("action"), max_length=60, db_index=True, help_text=_("e.g. mission.cancel"))
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = _("événement d'audit")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


class IdempotencyKey(models.Model):
    """A creating API request made with an ``Idempotency-Key`` header, and the answer it got
    (``ville_hopital.idempotency``): the same key and request again is answered with it, nothing
    written twice. Kept 24 hours (``idempotency_keys_purge``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        verbose_name = _("clé d'idempotence")

    def __str__(self) -> str:
        return f"{self.key} {self.method} {self.path}"
