"""The API's token authentication, audited: DRF's ``TokenAuthentication`` (unchanged checks), plus
an ``api_token.use`` row at most once an hour per token (``accounts.services_audit.api_token_use_record``)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from accounts.services_audit import api_token_use_record
from ville_hopital.proxies import client_ip


class AuditedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user, _token = result
            api_token_use_record(user=user, ip=client_ip(request._request))
        return result
