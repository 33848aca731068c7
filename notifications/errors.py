"""How a channel tells the delivery service what happened when a send did not succeed."""

from __future__ import annotations


class SendError(Exception):
    """A message was not sent."""


class TransientSendError(SendError):
    """The provider said "not now" (SMTP 4xx, HTTP 5xx/429, connection refused or timed out):
    the message was not accepted and may be tried again later."""


class PermanentSendError(SendError):
    """The provider refused the message for good (SMTP 5xx, HTTP 4xx, an unusable address):
    retrying would fail the same way. The delivery is marked failed and shown in admin."""
