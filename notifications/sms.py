"""SMS backends, selected by the setting ``SMS_BACKEND`` (an import path), like Django's email backends.

- ``ConsoleSmsBackend`` (default): writes the SMS to standard output — the embedded set-up.
- ``BrevoSmsBackend``: Brevo's transactional SMS API (``POST /v3/transactionalSMS/sms``, header
  ``api-key``, JSON body ``sender``/``recipient``/``content``/``type``/``tag``/``unicodeEnabled``;
  201 with ``messageId`` on success). The request is documented in docs/notifications.md.

A backend's ``send`` returns the provider's reference, or raises ``TransientSendError`` (retry later)
or ``PermanentSendError`` (give up; visible in admin).
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from typing import TextIO

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.errors import PermanentSendError, TransientSendError, outcome_unknown

_DIGITS = re.compile(r"\D")


def phone_to_msisdn(raw: str) -> str:
    """A French or international number as the digits of its E.164 form, without the "+":
    "06 12 34 56 78" → "33612345678", "+33 6 12 34 56 78" → "33612345678", "0033…" → "33…".
    Raises ``PermanentSendError`` for something that cannot be a mobile number."""
    text = (raw or "").strip()
    digits = _DIGITS.sub("", text)
    if text.startswith("+"):
        msisdn = digits
    elif digits.startswith("00"):
        msisdn = digits[2:]
    elif len(digits) == 10 and digits.startswith("0"):
        msisdn = "33" + digits[1:]  # a French national number
    else:
        msisdn = digits
    if not 8 <= len(msisdn) <= 15 or msisdn.startswith("0"):
        raise PermanentSendError(f"not a mobile phone number: {raw!r}")
    return msisdn


class BaseSmsBackend(ABC):
    """What ``settings.SMS_BACKEND`` names: sends one SMS, returns the provider's message id."""

    @abstractmethod
    def send(self, *, to: str, body: str, reference: str, tag: str = "") -> str:
        """Raise ``TransientSendError`` (retried) or ``PermanentSendError`` (failed) on failure."""


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints each SMS (embedded default, development). Nothing leaves the machine."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, *, to: str, body: str, reference: str, tag: str = "") -> str:
        msisdn = phone_to_msisdn(to)
        stream = self.stream or sys.stdout
        stream.write(f"SMS to +{msisdn} [{tag or '-'}] ({reference}):\n{body}\n{'-' * 40}\n")
        stream.flush()
        return f"console:{reference}"


class BrevoSmsBackend(BaseSmsBackend):
    """Brevo (ex-Sendinblue) transactional SMS. Settings: ``SMS_API_URL`` (default
    ``https://api.brevo.com/v3/transactionalSMS/sms``), ``SMS_API_KEY``, ``SMS_SENDER`` (≤ 11
    alphanumeric characters, as registered with Brevo), ``SMS_TIMEOUT`` seconds."""

    def __init__(self) -> None:
        self.url = settings.SMS_API_URL
        self.api_key = settings.SMS_API_KEY
        self.sender = settings.SMS_SENDER
        self.timeout = settings.SMS_TIMEOUT
        if not self.api_key:
            raise PermanentSendError("SMS_API_KEY is not set: the Brevo SMS backend cannot authenticate")

    def request_body(self, *, to: str, body: str, tag: str) -> dict:
        return {
            "type": "transactional",
            "sender": self.sender,
            "recipient": phone_to_msisdn(to),
            "content": body,
            "tag": tag,
            "unicodeEnabled": any(ord(ch) > 127 for ch in body),
        }

    def send(self, *, to: str, body: str, reference: str, tag: str = "") -> str:
        payload = json.dumps(self.request_body(to=to, body=body, tag=tag)).encode()
        request = urllib.request.Request(  # noqa: S310 — the URL is a setting, http(s) only (checked below)
            self.url,
            data=payload,
            method="POST",
            headers={"api-key": self.api_key, "content-type": "application/json", "accept": "application/json"},
        )
        if not self.url.startswith(("https://", "http://")):
            raise PermanentSendError(f"SMS_API_URL must be an http(s) URL, not {self.url!r}")
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310
        except urllib.error.HTTPError as error:
            detail = _json_or_empty(error.read())
            message = f"Brevo HTTP {error.code}: {detail.get('code', '')} {detail.get('message', '')}".strip()
            if error.code == 429 or error.code >= 500:
                raise TransientSendError(message) from error
            raise PermanentSendError(message) from error
        except urllib.error.URLError as error:
            # urllib wraps in URLError what fails while connecting and sending the request (refused,
            # connect timeout, DNS, TLS handshake): Brevo did not get a whole request, nothing was sent.
            raise TransientSendError(f"Brevo unreachable: {error}") from error
        except (OSError, http.client.HTTPException) as error:
            # Raised bare by urllib once the request was sent: a read timeout or a dropped connection
            # while waiting for the answer. Brevo may have queued the SMS: never send it again.
            raise outcome_unknown("délai dépassé ou connexion coupée en attendant la réponse de Brevo", error) from error
        with response:
            try:
                answer = _json_or_empty(response.read())
            except (OSError, http.client.HTTPException):
                answer = {}  # the status was a success: the SMS is accepted, only its reference is lost
        return str(answer.get("messageId") or answer.get("reference") or "")


def _json_or_empty(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
