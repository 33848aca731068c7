"""An event's messages, rendered from its templates ``templates/notifications/<event>/``.

Two readers: ``notify`` renders every text once, in the recipient's *notification language*, for
the stored in-app copy, the email and the SMS; the notification centre renders the in-app subject
and text again in the language the person *browses in*, from the stored ``event`` and ``context``
(``localise``), falling back to the stored copy when that is not possible.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import User
from notifications.events import EVENTS
from notifications.models import Notification

logger = logging.getLogger(__name__)

SUBJECT_MAX = 200
SMS_MAX = 480


class _LenientEncoder(DjangoJSONEncoder):
    """Dates, Decimals and UUIDs as Django encodes them; anything else (a model instance) as its text."""

    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def jsonable(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as it is stored on the notification (JSON)."""
    return json.loads(json.dumps(dict(context), cls=_LenientEncoder))


# What DjangoJSONEncoder writes for a datetime, a date and a Decimal.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"-?\d+\.\d+")


def _revive(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if _DATETIME.fullmatch(value):
            return parse_datetime(value) or value
        if _DATE.fullmatch(value):
            return parse_date(value) or value
        if _DECIMAL.fullmatch(value):
            return Decimal(value)
    except (ValueError, InvalidOperation):
        return value
    return value


def revive(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The stored JSON context with its dates, datetimes and Decimals back as such, so that the
    templates' ``|date`` filters and number formatting work as they did when ``notify`` ran."""
    return {key: _revive(value) for key, value in stored.items()}


def one_line(text: str) -> str:
    return " ".join(text.split())


def _full_context(context: Mapping[str, Any], *, recipient: User, urgent: bool) -> dict[str, Any]:
    url = str(context.get("url", ""))
    return {
        **context,
        "recipient": recipient,
        "urgent": urgent,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "link": settings.SITE_URL + url if url else "",
    }


def _subject(event: str, full: Mapping[str, Any]) -> str:
    return one_line(render_to_string(f"notifications/{event}/subject.txt", full))[:SUBJECT_MAX]


def _in_app_body(event: str, full: Mapping[str, Any]) -> str:
    return render_to_string(f"notifications/{event}/body.txt", {**full, "in_app": True}).strip()


def render_event(
    *, event: str, context: Mapping[str, Any], recipient: User, language: str, urgent: bool = False
) -> dict[str, str]:
    """Subject, in-app text, email body (greeting, link, footer) and SMS text in the recipient's language."""
    full = _full_context(context, recipient=recipient, urgent=urgent)
    with translation.override(language):
        return {
            "subject": _subject(event, full),
            "body": _in_app_body(event, full),
            "email_body": render_to_string(f"notifications/{event}/body.txt", full).strip() + "\n",
            "sms_text": one_line(render_to_string(f"notifications/{event}/sms.txt", full))[:SMS_MAX],
        }


def _rendered_again(notification: Notification, reader: User) -> tuple[str, str] | None:
    """The in-app subject and text in the active language, or ``None`` when the stored context no
    longer fits the event (an event removed, a required key added since, a template error)."""
    spec = EVENTS.get(notification.event)
    stored = notification.context if isinstance(notification.context, dict) else None
    if spec is None or stored is None or any(key not in stored for key in spec.required):
        return None
    try:
        full = _full_context(revive(stored), recipient=reader, urgent=notification.urgent)
        subject, body = _subject(notification.event, full), _in_app_body(notification.event, full)
    except Exception:  # any template failure: the stored copy is still a correct message
        logger.warning("notification %s: cannot re-render %s, showing the stored text", notification.pk,
                       notification.event, exc_info=True)
        return None
    return (subject, body) if subject else None


def localise(notifications: Iterable[Notification], *, reader: User, language: str | None = None) -> list[Notification]:
    """The notifications with ``shown_subject`` and ``shown_body`` in ``language`` (by default the
    active one, i.e. the language the person browses in).

    The stored text is used as it is when it is already in that language; otherwise the event's
    templates are rendered again from the stored context, with no query (``reader`` is the signed-in
    recipient, the only person whose notifications are ever listed). When that fails the stored
    text — in the notification language — is shown.
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    result = list(notifications)
    with translation.override(language):
        for notification in result:
            texts = None if notification.language == language else _rendered_again(notification, reader)
            notification.shown_subject, notification.shown_body = texts or (notification.subject, notification.body)
    return result
