"""Sending one delivery on its channel, and sorting failures into transient and permanent.

Email goes through Django's email backend (console in the embedded default, SMTP from
``EMAIL_URL`` in production); SMS through ``notifications.sms.get_sms_backend()``.
"""

from __future__ import annotations

import hashlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications.errors import PermanentSendError, TransientSendError
from notifications.models import Channel, Delivery
from notifications.sms import get_sms_backend


def message_id_for(idempotency_key: str) -> str:
    """A Message-ID derived from the idempotency key: every attempt of one delivery carries the same id,
    so a receiving system that deduplicates by Message-ID folds a duplicate away."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@notifications.ville-hopital.fr>"


def send_email(*, to: str, subject: str, body: str, idempotency_key: str) -> str:
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id_for(idempotency_key)},
        connection=get_connection(fail_silently=False),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        text = f"SMTP recipients refused: {error.recipients}"
        if codes and all(400 <= code < 500 for code in codes):
            raise TransientSendError(text) from error
        raise PermanentSendError(text) from error
    except smtplib.SMTPResponseException as error:
        text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
        if 400 <= error.smtp_code < 500:
            raise TransientSendError(text) from error
        raise PermanentSendError(text) from error
    except smtplib.SMTPServerDisconnected as error:
        raise TransientSendError(f"SMTP server disconnected: {error!r}") from error
    except smtplib.SMTPException as error:  # e.g. a required extension missing: configuration, not luck
        raise PermanentSendError(f"SMTP error: {error!r}") from error
    except OSError as error:  # connection refused or reset, timeout, DNS: nothing was accepted
        raise TransientSendError(f"SMTP unreachable: {error!r}") from error
    return message_id_for(idempotency_key)


def send(delivery: Delivery) -> str:
    """Send one delivery; return the provider's reference. Raises a ``SendError`` subclass."""
    if not delivery.address:
        raise PermanentSendError("no address to send to")
    if delivery.channel == Channel.EMAIL:
        return send_email(
            to=delivery.address, subject=delivery.subject, body=delivery.body,
            idempotency_key=delivery.idempotency_key,
        )
    if delivery.channel == Channel.SMS:
        tag = delivery.notification.event if delivery.notification_id else "digest"
        return get_sms_backend().send(
            to=delivery.address, body=delivery.body, reference=delivery.idempotency_key, tag=tag
        )
    raise PermanentSendError(f"unknown channel {delivery.channel!r}")
