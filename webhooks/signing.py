"""How a delivery is signed (docs/webhooks.md shows the receiver's side, in Python).

Headers of every delivery:

- ``X-VH-Event``: the event code (``shift.filled``…);
- ``X-VH-Delivery``: the delivery's id (the same on every attempt of it);
- ``X-VH-Timestamp``: when this attempt was signed, in Unix seconds;
- ``X-VH-Signature``: ``v1=`` and the hexadecimal HMAC-SHA256, keyed with the subscription's
  secret (its UTF-8 bytes), of ``f"{timestamp}.".encode() + body`` — the body's exact bytes.

The timestamp is inside the signed text, so a receiver that refuses old timestamps (5 minutes)
refuses a replayed delivery; ``v1`` names the scheme, so that another can come beside it later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a label in front of each secret, not one)


def secret_new() -> str:
    """A subscription's signing secret: 256 random bits, with a prefix saying what it is."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The body sent: compact JSON, keys sorted, UTF-8 (the same bytes on every attempt)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode("utf-8")


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signed_headers(*, secret: str, timestamp: int, body: bytes, event: str, delivery_id: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Ville-Hopital-Webhooks/1",
        "X-VH-Event": event,
        "X-VH-Delivery": str(delivery_id),
        "X-VH-Timestamp": str(timestamp),
        "X-VH-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }
