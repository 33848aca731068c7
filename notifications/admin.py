"""Admin: deliveries (filter by state and channel, read the error, retry failed ones), notifications."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import Delivery, Digest, EventPreference, Notification, NotificationSettings
from notifications.services import delivery_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "channel", "state", "attempts", "short_error", "sent_at", "idempotency_key"]
    list_filter = ["state", "channel", "notification__event", "created_at"]
    search_fields = ["idempotency_key", "recipient__email", "address", "last_error"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry"]
    date_hierarchy = "created_at"

    @admin.display(description=_("dernière erreur"))
    def short_error(self, obj: Delivery) -> str:
        return (obj.last_error[:120] + "…") if len(obj.last_error) > 120 else obj.last_error

    @admin.action(description=_("Renvoyer les envois en échec sélectionnés"))
    def retry(self, request, queryset) -> None:
        retried = sum(delivery_retry(actor=request.user, delivery_id=pk) for pk in queryset.values_list("pk", flat=True))
        skipped = queryset.count() - retried
        self.message_user(
            request,
            ngettext("%(n)d envoi remis en file.", "%(n)d envois remis en file.", retried) % {"n": retried},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("%(n)d envoi(s) ignoré(s) : seuls les envois en échec peuvent être renvoyés (jamais un envoi réussi).")
                % {"n": skipped},
                messages.WARNING,
            )


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel", "state", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "event", "urgent", "digest_state", "read_at", "dedupe_key"]
    list_filter = ["event", "urgent", "digest_state"]
    search_fields = ["dedupe_key", "recipient__email", "subject"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    inlines = [DeliveryInline]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    list_display = ["day", "user", "created_at"]
    list_filter = ["day"]
    search_fields = ["user__email"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    search_fields = ["user__email"]


@admin.register(EventPreference)
class EventPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "email", "sms", "digest"]
    list_filter = ["event", "digest"]
    search_fields = ["user__email"]
