from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.forms import ApiTokenRevokeForm, ArsInvitationAcceptForm
from accounts.models import ArsInvitation
from accounts.selectors import api_token_status
from accounts.services import api_token_revoke, ars_invitation_accept
from ville_hopital.forms import apply_service_errors


def ars_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = ArsInvitation.objects.filter(token=token).select_related("region").first()
    if invitation is None or not invitation.is_usable:
        raise Http404
    form = ArsInvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = ars_invitation_accept(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            # The password was typed just now: it counts as a recent authentication, so enrolling the
            # second factor their role requires does not ask for it again at once.
            record_authentication(request, user, method="password")
            return perform_login(request, user, email_verification="none")
    return render(request, "accounts/ars_invitation.html", {"form": form, "invitation": invitation})


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """« Jeton d'API »: the account's personal token (start of the key, issued, expires, last used)
    and a button to revoke it. A token is issued by the API itself (password and second factor)."""
    form = ApiTokenRevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if api_token_revoke(actor=request.user):
            messages.success(request, _("Jeton révoqué : les logiciels qui l'utilisaient sont refusés."))
        return redirect("accounts:api_token")
    status = api_token_status(user=request.user, now=timezone.now())
    return render(request, "accounts/api_token.html", {"status": status, "form": form},
                  status=400 if form.errors else 200)
