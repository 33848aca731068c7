"""The second factor at sign-in (allauth's MFA: TOTP with recovery codes, WebAuthn passkeys), required
for the roles that can act for others.

Who must have one is ``ville_hopital.roles.second_factor_required`` (platform staff, ARS staff,
establishment admins and HR). One middleware holds it: such a person, signed in without a second
factor, is sent to the enrolment page from every page but the few needed to enrol or leave
(``OPEN_WHILE_ENROLLING``, static files); an API call answers 403. The API token request refuses
them too (``accounts.services.api_token_issue``), and a token handed out before is refused by
``EnrolledTokenAuthentication`` until they enrol. Professionals and viewers may enrol from their
account page (allauth's ``mfa_index``).
"""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.views import ActivateTOTPView
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions

from accounts.authentication import AuditedTokenAuthentication
from ville_hopital.audit import audit_record
from ville_hopital.mixins import is_ars_staff
from ville_hopital.reauthentication import SECOND_FACTORS, has_second_factor
from ville_hopital.roles import home_url_for, second_factor_required

#: The pages a person who must enrol can still open: the enrolment itself (our page, allauth's TOTP,
#: passkey and recovery-code pages it leads to, the re-authentication allauth may ask first), signing
#: out, the language switch, the health check and what the installable app fetches by itself.
OPEN_WHILE_ENROLLING = frozenset({
    "second_factor_enrol",
    "mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "mfa_list_webauthn",
    "mfa_view_recovery_codes", "mfa_download_recovery_codes", "mfa_generate_recovery_codes",
    "mfa_reauthenticate", "mfa_reauthenticate_webauthn", "account_reauthenticate",
    "account_logout", "set_language", "health", "manifest", "service_worker", "offline",
})


def must_enrol(user) -> bool:
    """Signed in, of a role that requires a second factor, and without one yet."""
    return bool(user.is_authenticated and second_factor_required(user) and not has_second_factor(user))


def _open_while_enrolling(request: HttpRequest) -> bool:
    if request.path.startswith(settings.STATIC_URL):
        return True
    match = request.resolver_match
    return match is not None and match.url_name in OPEN_WHILE_ENROLLING


class SecondFactorMiddleware:
    """After the authentication middlewares: the one place the second factor is required."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if _open_while_enrolling(request) or not must_enrol(request.user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _(
                "Activez d'abord la double authentification de votre compte (application d'authentification "
                "ou clé d'accès) : votre rôle l'exige."
            )}, status=403)
        return redirect("second_factor_enrol")


class EnrolledTokenAuthentication(AuditedTokenAuthentication):
    """The API's token authentication (audited), refusing the token of someone who must enrol and has
    not: a token handed out before their role required a second factor works again once they enrol."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if must_enrol(user):
            raise exceptions.AuthenticationFailed(_(
                "Activez d'abord la double authentification de votre compte (application d'authentification "
                "ou clé d'accès) : votre rôle l'exige."
            ))
        return user, token


def _why(user) -> str:
    if user.is_staff:
        return _("Vous administrez la plateforme.")
    if is_ars_staff(user):
        return _("Vous consultez les tableaux de bord de votre agence régionale de santé.")
    return _("Vous publiez des missions et signez des contrats pour votre établissement.")


class EnrolView(ActivateTOTPView):
    """« Sécuriser votre compte »: why, then the QR code to scan (allauth's TOTP activation: its form,
    its checks, its recovery codes) or a passkey (allauth's page). Whoever has a second factor
    already goes home."""

    template_name = "second_factor/enrol.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and has_second_factor(request.user):
            return redirect(home_url_for(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(required=second_factor_required(user), why=_why(user) if second_factor_required(user) else "")
        return context


enrol = EnrolView.as_view()


class MFAAdapter(DefaultMFAAdapter):
    """allauth's MFA adapter, with the issuer from ``SITE_NAME`` (``MFA_TOTP_ISSUER``) and one rule:
    whoever must have a second factor cannot deactivate their last one."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": gettext_lazy(
            "Votre rôle exige la double authentification : ajoutez d'abord une autre méthode (clé d'accès) "
            "avant de désactiver celle-ci."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in SECOND_FACTORS or not second_factor_required(authenticator.user):
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTORS)
        return others.exclude(pk=authenticator.pk).exists()


# --- The audit trail: allauth's signals, each turned into one row (and nothing else) ---------------
MFA_ACTIVATE = "mfa.activate"
MFA_DEACTIVATE = "mfa.deactivate"
MFA_RECOVERY_CODES_REGENERATE = "mfa.recovery_codes_regenerate"


@receiver(mfa_signals.authenticator_added, dispatch_uid="ville_hopital.audit_mfa_added")
def audit_authenticator_added(sender: Any, user, authenticator: Authenticator, **kwargs: Any) -> None:
    audit_record(actor=user, action=MFA_ACTIVATE, target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed, dispatch_uid="ville_hopital.audit_mfa_removed")
def audit_authenticator_removed(sender: Any, user, authenticator: Authenticator, **kwargs: Any) -> None:
    audit_record(actor=user, action=MFA_DEACTIVATE, target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_reset, dispatch_uid="ville_hopital.audit_mfa_reset")
def audit_authenticator_reset(sender: Any, user, authenticator: Authenticator, **kwargs: Any) -> None:
    audit_record(actor=user, action=MFA_RECOVERY_CODES_REGENERATE, target=user, data={"type": authenticator.type})
