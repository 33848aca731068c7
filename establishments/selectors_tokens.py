"""Reads about integration tokens: an establishment's list (its admins only) and the look-up of a
presented secret (the authentication). Writes are ``establishments.services_tokens``."""

from __future__ import annotations

import hashlib
import hmac

from django.db.models import QuerySet

from establishments.models import Establishment, IntegrationToken
from ville_hopital.access import ADMIN

#: What every integration token's secret starts with (``Authorization: Bearer vh_it_…``).
SECRET_PREFIX = "vh_it_"  # noqa: S105 (the public start of every secret, not one)
#: A secret is ``SECRET_PREFIX`` and 43 URL-safe characters; anything much longer is not one of ours.
SECRET_MAX_LENGTH = 100


def secret_hash(secret: str) -> str:
    """What is stored of a secret: its SHA-256 (256 random bits need no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def integration_tokens_of(*, user, establishment: Establishment) -> QuerySet[IntegrationToken]:
    """The establishment's tokens, newest first, for one of its admins (nobody else: empty)."""
    return (
        IntegrationToken.objects.for_user(user, ADMIN).filter(establishment=establishment)
        .select_related("created_by", "revoked_by").order_by("-created_at", "-pk")
    )


def integration_token_for_secret(secret: str) -> IntegrationToken | None:
    """The token whose secret this is (revoked and expired ones too: the caller says why it refuses).

    The look-up is by the hash, an indexed equality; the hashes are compared again in constant time,
    so that nothing of the stored hash can be learnt from how long a refusal takes."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > SECRET_MAX_LENGTH:
        return None
    digest = secret_hash(secret)
    token = IntegrationToken.objects.select_related("user", "establishment").filter(key_hash=digest).first()
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        return None
    return token
