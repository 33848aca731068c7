"""The allauth provider for Pro Santé Connect: allauth's OpenID Connect provider with PSC's claims.

Configured by settings (``PSC_*``, read by ``adapter.SocialAccountAdapter.list_apps``): no database
row, and no button while they are unset.
"""

from __future__ import annotations

import secrets

import requests
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider,
    OpenIDConnectProviderAccount,
)
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from professionals.pro_sante_connect.adapter import refusal_response
from professionals.pro_sante_connect.claims import PscRefusal
from professionals.pro_sante_connect.views import PROVIDER_ID, ProSanteConnectOAuth2Adapter


class ProSanteConnectAccount(OpenIDConnectProviderAccount):
    def to_str(self) -> str:
        userinfo = self.account.extra_data.get("userinfo", {})
        name = " ".join(filter(None, (userinfo.get("given_name"), userinfo.get("family_name"))))
        return name or super().to_str()


class ProSanteConnectProvider(OpenIDConnectProvider):
    id = PROVIDER_ID
    name = "Pro Santé Connect"
    account_class = ProSanteConnectAccount
    oauth2_adapter_class = ProSanteConnectOAuth2Adapter

    def get_login_url(self, request: HttpRequest, **kwargs) -> str:
        url = reverse("pro_sante_connect_login")
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def get_callback_url(self) -> str:
        return reverse("pro_sante_connect_callback")

    def get_oauth2_adapter(self, request: HttpRequest) -> ProSanteConnectOAuth2Adapter:
        return ProSanteConnectOAuth2Adapter(request)

    def get_default_scope(self) -> list[str]:
        return ["openid", "scope_all"]

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs) -> HttpResponse:
        # allauth's OpenID Connect provider sends no nonce. The ID token must carry back the one we
        # stash with the state (checked by the adapter's pre_social_login): a token replayed from
        # another sign-in is refused.
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        try:
            return super().redirect(
                request, process, next_url, data, auth_params={**auth_params, "nonce": nonce}, nonce=nonce, **kwargs
            )
        except requests.RequestException as error:  # PSC's discovery document unreachable: a page, not a 500
            return refusal_response(request, PscRefusal("unavailable", repr(error)))

    def extract_common_fields(self, data: dict) -> dict:
        # PSC gives no email address: the sign-up form asks for one (verified as for any account).
        userinfo = data.get("userinfo", {})
        return {"first_name": userinfo.get("given_name", ""), "last_name": userinfo.get("family_name", "")}

    def extract_email_addresses(self, data: dict) -> list:
        return []


provider_classes = [ProSanteConnectProvider]
