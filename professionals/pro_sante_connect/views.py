"""The OpenID Connect exchange with Pro Santé Connect (allauth's OAuth2 views, our checks).

allauth's OpenID Connect adapter skips the ID token's signature when the token came straight from
the token endpoint (allowed by the spec over TLS). The RPPS we then *trust* rests on that token, so
here it is always checked: signature against the issuer's JWKS, issuer, audience, expiry, nonce and
the authentication level (acr); then the userinfo must describe the same ``sub``.
"""

from __future__ import annotations

import jwt
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from professionals.pro_sante_connect.claims import PscRefusal, person_from_claims

PROVIDER_ID = "pro_sante_connect"
#: Asymmetric algorithms only: an "HS256" token would be checked with a public key as its secret.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
LEEWAY_SECONDS = 30

_JWT_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.InvalidSignatureError, "signature"),
    (jwt.InvalidAudienceError, "audience"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.ExpiredSignatureError, "expired"),
)


class ProSanteConnectOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request, PROVIDER_ID)

    def get_callback_url(self, request: HttpRequest, app: SocialApp) -> str:
        return build_absolute_uri(request, reverse("pro_sante_connect_callback"), self.redirect_uri_protocol)

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs) -> SocialLogin:
        raw = kwargs["response"].get("id_token")
        if not raw:
            raise PscRefusal("id_token", "no id_token in the token response")
        id_token = self.verified_id_token(app, raw)
        userinfo = self._fetch_user_info(token.token)
        person_from_claims(id_token, userinfo)  # refuses a missing RPPS or another sub before any account is touched
        return self.get_provider().sociallogin_from_response(request, {"userinfo": userinfo, "id_token": id_token})

    def _signing_key(self, raw: str) -> jwt.PyJWK:
        header = jwt.get_unverified_header(raw)
        with get_adapter().get_requests_session() as session:
            response = session.get(self.openid_config["jwks_uri"])
            response.raise_for_status()
        keys = jwt.PyJWKSet.from_dict(response.json()).keys
        matching = [key for key in keys if key.key_id == header.get("kid")] or (keys if len(keys) == 1 else [])
        if not matching:
            raise PscRefusal("signature", f"no key {header.get('kid')!r} in the issuer's JWKS")
        return matching[0]

    def verified_id_token(self, app: SocialApp, raw: str) -> dict:
        settings = app.settings
        # OpenID Connect Discovery 4.3: the document must name the issuer we were configured with,
        # or its keys and endpoints would be trusted for another one.
        if self.openid_config.get("issuer", "").rstrip("/") != settings["server_url"].rstrip("/"):
            raise PscRefusal("issuer", f"discovery names issuer {self.openid_config.get('issuer')!r}")
        try:
            claims = jwt.decode(
                raw, key=self._signing_key(raw), algorithms=ID_TOKEN_ALGORITHMS, audience=app.client_id,
                issuer=self.openid_config["issuer"], leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as error:
            reason = next((r for kind, r in _JWT_REASONS if isinstance(error, kind)), "id_token")
            raise PscRefusal(reason, str(error)) from error
        accepted_acr = settings.get("acr_values", "").split()
        if accepted_acr and claims.get("acr") not in accepted_acr:
            raise PscRefusal("acr", f"acr {claims.get('acr')!r} is not one of {accepted_acr}")
        return claims


@login_not_required
def login(request: HttpRequest) -> HttpResponse:
    try:
        return OAuth2LoginView.adapter_view(ProSanteConnectOAuth2Adapter(request))(request)
    except SocialApp.DoesNotExist:  # not configured: no such page
        raise Http404 from None


@login_not_required
def callback(request: HttpRequest) -> HttpResponse:
    try:
        return OAuth2CallbackView.adapter_view(ProSanteConnectOAuth2Adapter(request))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
