"""The client's address behind our reverse proxies, as ``settings.TRUSTED_PROXY_HOPS`` describes
them. Project-wide, like the setting: any feature that records who did something from where (the
contract signature today) reads it here rather than from ``REMOTE_ADDR`` or X-Forwarded-For."""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _ip_or_none(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from (recorded, for one, with a contract signature).

    With ``TRUSTED_PROXY_HOPS = 0`` (default) it is ``REMOTE_ADDR``: X-Forwarded-For is ignored,
    since any client can write it. With ``n`` trusted proxies in front of the app, each of them
    appended the address it received the request from, so the client is the ``n``-th entry from the
    right (the right-most entry no trusted proxy vouches for); entries to its left were written by
    the client and are never used. A short or malformed header falls back to ``REMOTE_ADDR``.
    """
    remote = _ip_or_none(request.META.get("REMOTE_ADDR"))
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(forwarded) < hops:
        logger.warning("X-Forwarded-For has %s entries, %s trusted proxy hops expected", len(forwarded), hops)
        return remote
    candidate = _ip_or_none(forwarded[-hops])
    if candidate is None:
        logger.warning("X-Forwarded-For entry %r is not an IP address", forwarded[-hops])
        return remote
    return candidate
