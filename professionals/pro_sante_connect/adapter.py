"""allauth's social-account hooks for Pro Santé Connect (``SOCIALACCOUNT_ADAPTER``).

- ``list_apps``: the PSC client comes from the settings (``PSC_*``); none while they are unset, so
  allauth lists no provider and shows no button.
- ``pre_social_login``: the nonce, then ``services.psc_check``, before anyone is signed in or linked.
- ``save_user`` (a sign-up through PSC): the RPPS is recorded once the account exists. A link from
  the account page is recorded by ``signals`` once allauth saved it.
- ``on_authentication_error``: every refusal is audited and explained on our page, not allauth's.
"""

from __future__ import annotations

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from professionals.pro_sante_connect.claims import PscPerson, PscRefusal, person_from_claims
from professionals.pro_sante_connect.services import (
    REFUSALS,
    psc_check,
    psc_identity_record,
    psc_refusal_record,
)
from professionals.pro_sante_connect.views import PROVIDER_ID


def psc_configured() -> bool:
    return bool(settings.PSC_ISSUER and settings.PSC_CLIENT_ID and settings.PSC_CLIENT_SECRET)


def psc_app() -> SocialApp:
    return SocialApp(
        provider=PROVIDER_ID, provider_id=PROVIDER_ID, name="Pro Santé Connect",
        client_id=settings.PSC_CLIENT_ID, secret=settings.PSC_CLIENT_SECRET,
        settings={
            "server_url": settings.PSC_ISSUER,
            "scope": settings.PSC_SCOPES,
            "acr_values": settings.PSC_ACR_VALUES,
            "auth_params": {"acr_values": settings.PSC_ACR_VALUES} if settings.PSC_ACR_VALUES else {},
            "token_auth_method": "client_secret_post",
        },
    )


def person_of(sociallogin: SocialLogin) -> PscPerson:
    data = sociallogin.account.extra_data
    return person_from_claims(data.get("id_token", {}), data.get("userinfo", {}))


def refusal_response(request: HttpRequest, refusal: PscRefusal) -> HttpResponse:
    """The audited refusal page, in the visitor's language: 403, or 503 when PSC did not answer."""
    actor = request.user if request.user.is_authenticated else None
    reason = psc_refusal_record(actor=actor, refusal=refusal)
    return render(
        request, "professionals/pro_sante_connect_refused.html",
        {"reason": reason, "explanation": REFUSALS[reason]}, status=503 if reason == "unavailable" else 403,
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: HttpRequest, provider=None, client_id=None) -> list[SocialApp]:
        if provider not in (None, PROVIDER_ID) or not psc_configured():
            return []
        app = psc_app()
        return [app] if client_id in (None, app.client_id) else []

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.account.provider != PROVIDER_ID:
            return
        try:
            if sociallogin.account.extra_data.get("id_token", {}).get("nonce") != sociallogin.state.get("nonce"):
                raise PscRefusal("nonce", "the ID token's nonce is not the one sent")
            person = person_of(sociallogin)
            linking = sociallogin.state.get("process") == AuthProcess.CONNECT
            if sociallogin.is_existing and linking and sociallogin.user != request.user:
                raise PscRefusal("psc_other_account", f"linked to user {sociallogin.user.pk}")
            user = request.user if linking else (sociallogin.user if sociallogin.is_existing else None)
            psc_check(person=person, user=user, linking=linking)
        except PscRefusal as refusal:
            raise ImmediateHttpResponse(refusal_response(request, refusal)) from refusal

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form=None) -> User:
        user = super().save_user(request, sociallogin, form)
        if sociallogin.account.provider == PROVIDER_ID:
            psc_identity_record(user=user, person=person_of(sociallogin))
        return user

    def on_authentication_error(self, request: HttpRequest, provider, error=None, exception=None, extra_context=None) -> None:
        if getattr(provider, "id", None) != PROVIDER_ID or error == AuthError.CANCELLED:
            return  # a person who cancels at PSC gets allauth's "sign-in cancelled" page, nothing to audit
        if isinstance(exception, PscRefusal):
            refusal = exception
        elif isinstance(exception, requests.RequestException):
            refusal = PscRefusal("unavailable", repr(exception))
        else:
            refusal = PscRefusal("unknown", f"{error}: {exception!r}" if exception else str(error))
        raise ImmediateHttpResponse(refusal_response(request, refusal))
