"""Sending one delivery on its channel, and sorting failures into transient and permanent.

Email goes through Django's email backend (console in the embedded default, SMTP from
``EMAIL_URL`` in production); SMS through ``notifications.sms.get_sms_backend()``.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from notifications.errors import PermanentSendError, TransientSendError, outcome_unknown
from notifications.models import Channel, Delivery
from notifications.sms import get_sms_backend


def message_id_for(idempotency_key: str) -> str:
    """A Message-ID derived from the idempotency key: every attempt of one delivery carries the same id,
    so a receiving system that deduplicates by Message-ID folds a duplicate away."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@notifications.ville-hopital.fr>"


class _SmtpHandover:
    """Watches one ``smtplib.SMTP`` session for the moment the message is handed over: the server
    answered 354 to DATA, so the body goes out and only the final reply is missing. A timeout or a
    dropped connection after that point leaves the outcome unknown (the server may have queued
    it); before it (connecting, greeting, TLS, login, MAIL, RCPT) nothing was accepted.

    ``smtplib`` has no hook for this; wrapping the session's own ``data``/``getreply`` (bound to
    this instance only) is the narrowest place that knows. Django's backend turns a timeout into
    ``SMTPServerDisconnected`` there, so the exception type alone cannot tell the two apart."""

    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.handed_over = False
        self._in_data = False
        data, getreply = smtp.data, smtp.getreply

        def watched_data(msg):
            self._in_data = True
            try:
                return data(msg)
            finally:
                self._in_data = False

        def watched_getreply():
            code, text = getreply()
            if self._in_data and code == 354:
                self.handed_over = True
            return code, text

        smtp.data = watched_data  # type: ignore[method-assign]
        smtp.getreply = watched_getreply  # type: ignore[method-assign]


def _smtp_error(error: Exception) -> Exception:
    """Sort an error raised while nothing had been handed over: retry later, or give up."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        text = f"SMTP recipients refused: {error.recipients}"
        if codes and all(400 <= code < 500 for code in codes):
            return TransientSendError(text)
        return PermanentSendError(text)
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
        return TransientSendError(text) if 400 <= error.smtp_code < 500 else PermanentSendError(text)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TransientSendError(f"SMTP server disconnected: {error!r}")
    if isinstance(error, smtplib.SMTPException):  # e.g. a required extension missing: configuration, not luck
        return PermanentSendError(f"SMTP error: {error!r}")
    # connection refused or reset, connect timeout, DNS: nothing was accepted
    return TransientSendError(f"SMTP unreachable: {error!r}")


@dataclass(frozen=True)
class EmailParts:
    """What a notification email carries beside its text: the HTML part and the one-click
    unsubscribe link (``List-Unsubscribe`` and ``List-Unsubscribe-Post``, RFC 2369 and 8058)."""

    html: str
    unsubscribe_url: str


def send_email(*, to: str, subject: str, body: str, idempotency_key: str, parts: EmailParts | None = None) -> str:
    """Send one email; return its Message-ID. Errors before the message is handed over are sorted
    into transient / permanent; a timeout or a dropped connection after it (SMTP: once the server
    answered 354 to DATA) fails the delivery as "outcome unknown" instead of sending it again."""
    connection = get_connection(fail_silently=False)
    headers = {"Message-ID": message_id_for(idempotency_key)}
    if parts is not None:
        headers |= {"List-Unsubscribe": f"<{parts.unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
        connection=connection,
    )
    if parts is not None:
        message.attach_alternative(parts.html, "text/html")
    handover = None  # stays None until connected: nothing can have been handed over before
    try:
        connection.open()  # connect, greeting, TLS, login
        session = getattr(connection, "connection", None)  # the smtplib session of Django's SMTP backend
        if isinstance(session, smtplib.SMTP):
            handover = _SmtpHandover(session)
        message.send()
    except OSError as error:  # smtplib.SMTPException is an OSError too
        # After the handover, only an answer (SMTPResponseException: a code) tells what happened;
        # silence (timeout, dropped connection) does not.
        if handover is not None and handover.handed_over and not isinstance(error, smtplib.SMTPResponseException):
            raise outcome_unknown("délai dépassé ou connexion coupée après DATA (SMTP)", error) from error
        raise _smtp_error(error) from error
    finally:
        with contextlib.suppress(OSError):  # e.g. QUIT after a 250: the message is accepted already
            connection.close()
    return message_id_for(idempotency_key)


def send(delivery: Delivery, *, email: EmailParts | None = None) -> str:
    """Send one delivery; return the provider's reference. Raises a ``SendError`` subclass."""
    if not delivery.address:
        raise PermanentSendError("no address to send to")
    if delivery.channel == Channel.EMAIL:
        return send_email(
            to=delivery.address, subject=delivery.subject, body=delivery.body,
            idempotency_key=delivery.idempotency_key, parts=email,
        )
    if delivery.channel == Channel.SMS:
        tag = delivery.notification.event if delivery.notification_id else "digest"
        return get_sms_backend().send(
            to=delivery.address, body=delivery.body, reference=delivery.idempotency_key, tag=tag
        )
    raise PermanentSendError(f"unknown channel {delivery.channel!r}")
