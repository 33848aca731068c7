"""The API's authentication by an establishment's integration token: ``Authorization: Bearer vh_it_…``.

A ``Bearer`` credential without the ``vh_it_`` prefix is not ours: left to the other classes. One of
ours that is unknown, revoked or expired answers **401** with a ``WWW-Authenticate: Bearer`` header
and a message saying which (DRF would turn an ``AuthenticationFailed`` into a 403 here, the session
class coming first in ``DEFAULT_AUTHENTICATION_CLASSES``: ``IntegrationTokenRejected`` is a plain
``APIException`` with its own status for that reason). Every accepted request is audited and dates
the token's last use (``services_tokens.integration_token_use_record``); refusals of a known token
are audited too.

The account it authenticates is a member of the establishment (viewer or HR, by the token's scope):
every view's ``Model.objects.for_user(request.user, action)`` applies to it unchanged. It is not a
person: the second factor required of HR members is not asked of it (``ville_hopital.roles``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from establishments.models import IntegrationToken
from establishments.selectors_tokens import SECRET_PREFIX, integration_token_for_secret
from establishments.services_tokens import integration_token_refusal_record, integration_token_use_record
from ville_hopital.proxies import client_ip

KEYWORD = "Bearer"
#: RFC 6750's challenge; ``error="invalid_token"`` when a token was presented and refused.
CHALLENGE = 'Bearer realm="api"'


class IntegrationTokenRejected(exceptions.APIException):
    """401 with the bearer challenge, whatever the other authentication classes are."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "invalid_token"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.auth_header = f'{CHALLENGE}, error="invalid_token"'


def _presented_secret(request: Request) -> str | None:
    """The integration secret of the Authorization header, or None when the header is not one."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != KEYWORD.lower().encode():
        return None
    try:
        secret = parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise IntegrationTokenRejected(_("Jeton d'intégration inconnu.")) from None
    return secret if secret.startswith(SECRET_PREFIX) else None


def _refusal(token: IntegrationToken) -> tuple[str, str] | None:
    """Why a known token is refused (an audit reason, the message), or None when it is usable."""
    if token.revoked_at is not None:
        return "revoked", _("Jeton d'intégration révoqué le %(date)s : demandez-en un nouveau à un administrateur "
                            "de l'établissement.") % {"date": timezone.localtime(token.revoked_at).strftime("%d/%m/%Y")}
    if token.expires_at <= timezone.now():
        return "expired", _("Jeton d'intégration expiré le %(date)s : demandez-en un nouveau à un administrateur "
                            "de l'établissement.") % {"date": timezone.localtime(token.expires_at).strftime("%d/%m/%Y")}
    if not token.user.is_active:
        return "inactive", _("Jeton d'intégration désactivé.")
    return None


class IntegrationTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, IntegrationToken] | None:
        secret = _presented_secret(request)
        if secret is None:
            return None
        token = integration_token_for_secret(secret)
        if token is None:
            raise IntegrationTokenRejected(_("Jeton d'intégration inconnu."))
        where = {"method": request.method, "path": request.path, "ip": client_ip(request._request)}
        refusal = _refusal(token)
        if refusal is not None:
            integration_token_refusal_record(token=token, reason=refusal[0], **where)
            raise IntegrationTokenRejected(refusal[1])
        integration_token_use_record(token=token, **where)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document states it: HTTP bearer (drf-spectacular finds it by its class)."""

    target_class = IntegrationTokenAuthentication
    name = "integrationToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http", "scheme": "bearer",
            "description": "An establishment's integration token (vh_it_…), created by one of its admins.",
        }
