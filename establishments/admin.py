"""Platform staff: the verification queue (filter on status, action "verify") and read access."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from establishments.models import Establishment, IntegrationToken, MemberInvitation, Membership, Shift, Unit
from establishments.selectors import establishment_finess_check
from establishments.services import establishment_verify
from ville_hopital.admin import ReadOnlyModelAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "finess_geo", "finess_legal", "finess_in_directory", "type", "commune", "status", "created_at"]
    list_filter = ["status", "type"]
    search_fields = ["name", "finess_geo", "finess_legal", "commune__name"]
    readonly_fields = ["status", "verified_at", "created_at", "finess_in_directory"]
    autocomplete_fields = ["commune"]
    inlines = [MembershipInline]
    actions = ["verify"]
    ordering = ["status", "created_at"]

    @admin.display(description=_("fichier FINESS"))
    def finess_in_directory(self, establishment: Establishment) -> str:
        # What staff read before verifying: the pair of numbers as the national file has it.
        return establishment_finess_check(establishment).label

    @admin.action(description=_("Vérifier les établissements sélectionnés (prévient leurs administrateurs)"))
    def verify(self, request, queryset) -> None:
        count = 0
        for establishment in queryset:
            establishment_verify(actor=request.user, establishment=establishment)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d établissement vérifié.", "%(count)d établissements vérifiés.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "establishment", "specialty"]
    search_fields = ["name", "establishment__name"]
    list_select_related = ["establishment", "specialty"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["__str__", "establishment", "profession", "starts_at", "positions", "pay", "urgent", "state"]
    list_filter = ["state", "urgent", "profession"]
    search_fields = ["establishment__name", "unit__name"]
    list_select_related = ["establishment", "unit", "profession"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["establishment", "unit", "location", "created_by", "series"]


@admin.register(MemberInvitation)
class MemberInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "establishment", "role", "created_at", "accepted_at"]
    search_fields = ["email", "establishment__name"]
    readonly_fields = ["token"]


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(ReadOnlyModelAdmin):
    """Read only: an establishment's admins create and revoke its tokens (``services_tokens``, which
    writes the account, the membership and the audit row together); staff see which exist."""

    list_display = ["name", "establishment", "scope", "key_prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "key_prefix", "establishment__name"]
    list_select_related = ["establishment"]
    exclude = ["key_hash"]
