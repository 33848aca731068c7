"""Reads about an account: its personal API token (one per account) and what the page shows of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.services_audit import API_TOKEN_USE
from ville_hopital.audit import audit_last_recorded


def api_token_expires_at(token: Token) -> datetime:
    return token.created + settings.API_TOKEN_LIFETIME


def api_token_expired(token: Token, *, now: datetime) -> bool:
    return now >= api_token_expires_at(token)


@dataclass(frozen=True)
class ApiTokenStatus:
    """What « Jeton d'API » shows: never the key (it was shown once, when issued), only its start."""

    prefix: str
    created: datetime
    expires_at: datetime
    expired: bool
    last_used: datetime | None  # to the hour: uses are recorded once an hour (accounts.services_audit)


def api_token_status(*, user: User, now: datetime) -> ApiTokenStatus | None:
    token = Token.objects.filter(user=user).first()
    if token is None:
        return None
    last_use = audit_last_recorded(action=API_TOKEN_USE, target=user)
    return ApiTokenStatus(
        prefix=token.key[:6], created=token.created, expires_at=api_token_expires_at(token),
        expired=api_token_expired(token, now=now), last_used=last_use,
    )
