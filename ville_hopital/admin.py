from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from ville_hopital.models import AuditEvent

# One sign-in for everyone: the admin's own login page (no attempt limit: it took 30 wrong passwords,
# then the right one) sends to the site's, which counts failures (allauth's rate limits).
admin.site.login = secure_admin_login(admin.site.login)


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows nobody edits in the admin: written by the code (the audit trail) or by an import."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    """Append-only, for superusers too; the database refuses a change anyway (migration 0002's trigger)."""

    list_display = ["created_at", "actor", "action", "target_type", "target_id", "from_state", "to_state"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "actor__email"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
