"""Requests per integration token: ``settings.INTEGRATION_TOKEN_REQUESTS_PER_MINUTE``, counted per
token (not per address: one client may run on several machines, several clients behind one proxy)
in the default cache (Redis in production). Past it, 429 with ``Retry-After`` (DRF's throttling).
Requests made otherwise (session, personal token) are not counted here."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from establishments.models import IntegrationToken


class IntegrationTokenThrottle(SimpleRateThrottle):
    scope = "integration_token"

    def get_rate(self) -> str:
        # Read on each request, not at import (DRF's THROTTLE_RATES): the setting may change in tests.
        return f"{settings.INTEGRATION_TOKEN_REQUESTS_PER_MINUTE}/min"

    def get_cache_key(self, request: Request, view) -> str | None:
        token = request.auth
        if not isinstance(token, IntegrationToken):
            return None
        # The prefix too: a database rebuilt (tests, a restore) reuses ids, never secrets.
        return self.cache_format % {"scope": self.scope, "ident": f"{token.pk}-{token.key_prefix}"}
