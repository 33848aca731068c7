"""The API's token authentication: DRF's ``TokenAuthentication`` (unchanged checks), refusing a
token past its lifetime (``settings.API_TOKEN_LIFETIME``), and audited: an ``api_token.use`` row at
most once an hour per token (``accounts.services_audit.api_token_use_record``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.selectors import api_token_expired
from accounts.services_audit import api_token_use_record
from ville_hopital.proxies import client_ip


class AuditedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user, token = result
            if api_token_expired(token, now=timezone.now()):
                raise AuthenticationFailed(_(
                    "Jeton expiré : demandez-en un nouveau (POST /api/v1/auth/token/), l'ancien ne sert plus."
                ))
            api_token_use_record(user=user, ip=client_ip(request._request))
        return result
