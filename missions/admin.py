"""Admin pages of the missions app (platform staff). Each engineer appends its own ModelAdmin."""

from django.contrib import admin

from missions.models import MatchingRun


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
