"""The platform's own emails (invitations, verification notices): subject, text and HTML from one
template each, around one layout.

An email kind ``<prefix>`` is three templates, the convention django-allauth renders its own with:
``<prefix>_subject.txt``, ``<prefix>_message.txt`` (extends ``email/base.txt``) and
``<prefix>_message.html`` (extends ``email/base.html``, the one HTML layout, which the notification
emails use too). Every template gets the site's name and public URL from the settings
(``SITE_NAME``, ``SITE_URL``): no email names another site. The texts are rendered in the language
active when the email is written (the request's).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def email_context(**context: Any) -> dict[str, Any]:
    """``context`` with what every email template may show: the site's name and public URL."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}


def email_message(prefix: str, *, to: list[str], context: dict[str, Any]) -> EmailMultiAlternatives:
    """The email ``prefix`` to ``to``: its subject on one line, its text, its HTML as an alternative."""
    context = email_context(**context)
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    text = render_to_string(f"{prefix}_message.txt", context).strip() + "\n"
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    message.attach_alternative(render_to_string(f"{prefix}_message.html", context), "text/html")
    return message


def email_send_on_commit(prefix: str, *, to: list[str], context: dict[str, Any]) -> None:
    """Write the email now (in the active language), send it once the transaction commits."""
    message = email_message(prefix, to=to, context=context)
    transaction.on_commit(message.send)
