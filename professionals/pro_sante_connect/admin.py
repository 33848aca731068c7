"""Platform staff (support): which RPPS Pro Santé Connect vouched for, for whom, when. Read-only:
rows are written by the sign-in and the link only (services), each with its audit row."""

from __future__ import annotations

from django.contrib import admin

from professionals.admin import ReadOnlyAdmin
from professionals.pro_sante_connect.models import PscIdentity


@admin.register(PscIdentity)
class PscIdentityAdmin(ReadOnlyAdmin):
    list_display = ["rpps", "user", "acr", "verified_at"]
    search_fields = ["rpps", "user__email", "user__last_name"]
    list_select_related = ["user"]
