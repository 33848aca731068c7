"""The privacy notice (public) and the person's data page: download, erase. Thin: call a service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ville_hopital.forms import apply_service_errors
from ville_hopital.privacy.erasure import account_erase, upcoming_missions
from ville_hopital.privacy.export import personal_data_export
from ville_hopital.privacy.forms import EraseConfirmForm


def notice(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/notice.html", {
        "read_notification_months": settings.PRIVACY_READ_NOTIFICATION_MONTHS,
        "closed_proposal_months": settings.PRIVACY_CLOSED_PROPOSAL_MONTHS,
        "unverified_signup_days": settings.PRIVACY_UNVERIFIED_SIGNUP_DAYS,
    })


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/my_data.html")


# A GET link (the archive is the person's own, sent to their own browser: nothing a forged request
# could read), never cached: personal data stays out of shared and browser caches.
@require_GET
@never_cache
@login_required
def export(request: HttpRequest) -> FileResponse:
    archive = personal_data_export(actor=request.user)
    name = f"ville-hopital-mes-donnees-{timezone.localdate():%Y-%m-%d}.zip"
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")


@require_http_methods(["GET", "POST"])
@login_required
def erase(request: HttpRequest) -> HttpResponse:
    form = EraseConfirmForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account_erase(actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            logout(request)
            messages.success(request, _("Votre compte a été supprimé. Vos données personnelles ont été effacées."))
            return redirect("home")
    upcoming = upcoming_missions(request.user).select_related("shift__establishment").order_by("starts_at")
    return render(request, "privacy/erase.html", {"form": form, "upcoming": upcoming})
