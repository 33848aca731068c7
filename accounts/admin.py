from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from accounts.models import ArsInvitation, ArsStaff, User
from accounts.services import ars_invitation_create


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "signup_intent", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("civility", "first_name", "last_name", "phone", "signup_intent")}),
        ("Droits", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ArsStaff)
class ArsStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "created_at"]
    list_filter = ["region"]

    def has_add_permission(self, request) -> bool:
        return False  # ARS staff exist only through an accepted invitation


@admin.register(ArsInvitation)
class ArsInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "region", "invited_by", "created_at", "expires_at", "accepted_at"]
    fields = ["email", "region"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        try:
            invitation = ars_invitation_create(actor=request.user, email=obj.email, region=obj.region)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        obj.pk = invitation.pk
