"""Admin pages of the missions app (platform staff). Each engineer appends its own ModelAdmin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from missions.contracts.models import Contract, ContractSignature
from missions.core.models import MatchingRun, Mission, Proposal
from professionals.admin import ReadOnlyAdmin


@admin.register(MatchingRun)
class MatchingRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the matching service only."""

    list_display = (
        "started_at", "region", "start", "kind", "state", "n_pros", "n_positions", "n_arcs", "filled",
        "proposals_written", "gap", "load_seconds", "solve_seconds", "write_seconds",
    )
    list_filter = ("kind", "state", "region")
    date_hierarchy = "started_at"
    search_fields = ("error", "task_id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Contracts (missions/contracts): read-only; every change goes through the contract services. ---

class ContractSignatureInline(admin.TabularInline):
    model = ContractSignature
    extra = 0
    can_delete = False
    fields = ("side", "user", "signer_name", "signer_role", "signed_at", "ip", "sha256_signed")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("id", "mission", "version", "route", "state", "flagged_at", "created_at", "signed_at")
    list_filter = ("state", "route")
    search_fields = ("mission__professional__rpps", "mission__shift__establishment__finess_geo", "sha256")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Contract._meta.fields]
    inlines = [ContractSignatureInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Proposals and missions: read-only (no add, change or delete); every transition goes through
# the services of missions.booking and missions.platform. ---

@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "shift", "professional", "state", "source", "wave", "distance_km", "created_at", "expires_at", "decided_at",
    )
    list_filter = ("state", "source")
    search_fields = ("professional__user__email", "=shift__id")
    search_help_text = gettext_lazy("E-mail du professionnel, ou numéro de la vacation")
    list_select_related = ("shift__unit", "professional__user", "professional__profession")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


@admin.register(Mission)
class MissionAdmin(ReadOnlyAdmin):
    list_display = ("id", "shift", "position", "professional", "state", "pay", "starts_at", "booked_at", "cancelled_by")
    list_filter = ("state", "proposal__source", "cancelled_by")
    search_fields = ("professional__user__email", "=shift__id")
    search_help_text = gettext_lazy("E-mail du professionnel, ou numéro de la vacation")
    list_select_related = ("shift__unit", "professional__user", "professional__profession")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at",)
