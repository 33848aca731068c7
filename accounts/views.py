from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.forms import ArsInvitationAcceptForm
from accounts.models import ArsInvitation
from accounts.services import ars_invitation_accept


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
            form.add_error(None, error)
        else:
            # The password was typed just now: it counts as a recent authentication, so enrolling the
            # second factor their role requires does not ask for it again at once.
            record_authentication(request, user, method="password")
            return perform_login(request, user, email_verification="none")
    return render(request, "accounts/ars_invitation.html", {"form": form, "invitation": invitation})
