"""Notification emails as mail clients and providers expect them: a text and an HTML part, and a
one-click unsubscribe (``List-Unsubscribe`` + ``List-Unsubscribe-Post``, RFC 8058) that works
without signing in. Sent through a real local SMTP server."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from notifications.models import Channel, EventPreference
from notifications.services import DIGEST_SCOPE, Preference, notify, preferences_update, unsubscribe_url
from tests.notifications.conftest import deliveries, sample_context
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db

EVENT = "mission.cancelled"


def _email_only(user, language="fr"):
    preferences_update(actor=user, language=language, choices={EVENT: Preference(True, False, False)})


def _send(user, capture, key="mission:7:cancelled"):
    with capture(execute=True):
        notify(recipient=user, event=EVENT, context=sample_context(EVENT), dedupe_key=key)


def _parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode(part.get_content_charset())
            for part in message.walk() if not part.is_multipart()}


def test_an_email_has_a_text_and_an_html_part_and_one_click_unsubscribe(alice, smtp_settings,
                                                                         django_capture_on_commit_callbacks):
    _email_only(alice)
    _send(alice, django_capture_on_commit_callbacks)
    [mail] = smtp_settings.messages
    assert mail.message.get_content_type() == "multipart/alternative"
    parts = _parts(mail.message)
    assert set(parts) == {"text/plain", "text/html"}
    assert "Motif : fermeture temporaire du service" in parts["text/plain"]
    assert "Motif : fermeture temporaire du service" in parts["text/html"] and '<html lang="fr">' in parts["text/html"]
    link = re.fullmatch(r"<(.+)>", mail.message["List-Unsubscribe"].strip()).group(1)
    assert link.startswith(settings.SITE_URL + "/notifications/desabonnement/")
    assert mail.message["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    assert link in parts["text/html"].replace("&amp;", "&")
    assert "example.com" not in parts["text/plain"] + parts["text/html"]


def test_the_html_part_speaks_the_recipients_language(alice, smtp_settings, django_capture_on_commit_callbacks):
    _email_only(alice, language="en")
    _send(alice, django_capture_on_commit_callbacks)
    html = _parts(smtp_settings.messages[0].message)["text/html"]
    assert '<html lang="en">' in html and "Stop receiving these emails" in html


def test_a_one_click_post_without_cookies_stops_these_emails_only(alice, smtp_settings,
                                                                 django_capture_on_commit_callbacks):
    _email_only(alice)
    _send(alice, django_capture_on_commit_callbacks)
    link = re.fullmatch(r"<(.+)>", smtp_settings.messages[0].message["List-Unsubscribe"].strip()).group(1)
    path = link.removeprefix(settings.SITE_URL)

    provider = Client(enforce_csrf_checks=True)  # a mail provider: no session, no CSRF token
    assert provider.get(path).status_code == 200  # a person who opens the link is asked first…
    assert EventPreference.objects.get(user=alice, event=EVENT).email is True
    response = provider.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200  # …the one-click POST unsubscribes
    assert EventPreference.objects.get(user=alice, event=EVENT).email is False
    assert AuditEvent.objects.filter(action="notifications.unsubscribe", actor=alice).exists()

    _send(alice, django_capture_on_commit_callbacks, key="mission:8:cancelled")
    assert deliveries(alice, Channel.EMAIL).count() == 1  # no second email; still in the centre
    assert alice.notifications.count() == 2


def test_a_forged_or_damaged_link_is_a_404(alice, client):
    assert client.post(reverse("notifications:unsubscribe", args=["forged"])).status_code == 404
    good = unsubscribe_url(user=alice, scope=EVENT).removeprefix(settings.SITE_URL)
    assert client.post(good[:-3] + "xyz/").status_code == 404
    assert EventPreference.objects.filter(user=alice, email=False).count() == 0


def test_unsubscribing_from_the_daily_summary_stops_the_emails_held_for_it(alice):
    preferences_update(actor=alice, language="fr", choices={
        EVENT: Preference(True, False, True),  # held for the summary
        "proposal.new": Preference(True, False, False),  # sent at once: not the summary's
    })
    path = unsubscribe_url(user=alice, scope=DIGEST_SCOPE).removeprefix(settings.SITE_URL)
    assert Client().post(path).status_code == 200
    assert EventPreference.objects.get(user=alice, event=EVENT).email is False
    assert EventPreference.objects.get(user=alice, event="proposal.new").email is True
