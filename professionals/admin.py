"""Platform staff (support): find a professional by name, email, RPPS or ADELI and read the profile.

Read-only: profiles, documents and availability change through the services (with audit rows),
from the professional's own pages. Documents are opened from the professional's pages, not here.
"""

from __future__ import annotations

from django.contrib import admin

from professionals.models import Availability, Credential, Professional


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    fields = ["kind", "original_name", "content_type", "size", "expires_on", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Professional)
class ProfessionalAdmin(ReadOnlyAdmin):
    list_display = ["user", "profession", "rpps", "adeli", "home_commune", "radius_km", "max_missions_per_month"]
    list_filter = ["profession", "home_commune__region"]
    search_fields = ["user__email", "user__last_name", "rpps", "adeli", "home_commune__name"]
    list_select_related = ["user", "profession", "home_commune"]
    exclude = ["calendar_token"]
    inlines = [CredentialInline]


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ["professional", "kind", "original_name", "expires_on", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["professional__user__email", "professional__rpps", "original_name"]
    list_select_related = ["professional__user", "professional__profession"]


@admin.register(Availability)
class AvailabilityAdmin(ReadOnlyAdmin):
    list_display = ["professional", "day", "slot"]
    list_filter = ["slot"]
    date_hierarchy = "day"
    search_fields = ["professional__user__email", "professional__rpps"]
    list_select_related = ["professional__user", "professional__profession"]
