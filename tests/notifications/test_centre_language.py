"""The in-app notification centre speaks the language the person browses in; emails and SMS keep
the notification language (``NotificationSettings.language``, French unless chosen otherwise)."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from notifications.events import EVENTS
from notifications.models import Channel, Notification
from notifications.rendering import localise
from notifications.selectors import notifications_for
from notifications.services import (
    Preference,
    digest_send,
    notify,
    preferences_update,
    render_event,
    today_in_paris,
)
from tests.notifications.conftest import deliveries, sample_context

pytestmark = pytest.mark.django_db
CENTRE = reverse("notifications:centre")
BOOKED_FR = "Mission réservée : Infirmier·e de nuit — Urgences (CH de Mende)"
BOOKED_EN = "Mission booked: Infirmier·e de nuit — Urgences (CH de Mende)"


def _notify(user, n: int, event: str = "mission.booked", urgent: bool = False) -> Notification:
    return notify(recipient=user, event=event, context=sample_context(event), dedupe_key=f"{event}:{n}", urgent=urgent)


def _set_language(user, language: str) -> None:
    preferences_update(actor=user, language=language, choices={})


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(("stored", "shown"), [("fr", "en"), ("en", "fr")])
def test_every_event_reads_exactly_as_a_fresh_rendering_in_the_readers_language(alice, stored, shown):
    """Dates, datetimes and amounts come back from the stored JSON as such: the re-rendered text is the
    one ``notify`` would have written in that language (e.g. « 648,00 » in French, « 648.00 » in English)."""
    if stored != "fr":
        _set_language(alice, stored)
    for n, code in enumerate(EVENTS):
        _notify(alice, n, code, urgent=code == "proposal.new")
    rows = localise(notifications_for(alice), reader=alice, language=shown)
    assert len(rows) == len(EVENTS)
    for row in rows:
        assert row.language == stored
        fresh = render_event(event=row.event, context=sample_context(row.event), recipient=alice, language=shown,
                             urgent=row.urgent)
        assert (row.shown_subject, row.shown_body) == (fresh["subject"], fresh["body"]), row.event
        assert row.shown_subject != row.subject  # really another language than the stored copy


def test_the_centre_follows_the_browsing_language_while_the_email_stays_french(client, alice):
    notification = _notify(alice, 1)
    assert notification.language == "fr" and notification.subject == BOOKED_FR
    client.force_login(alice)

    french = client.get(CENTRE).content.decode()
    assert BOOKED_FR in french and BOOKED_EN not in french

    english = _english(client).get(CENTRE).content.decode()
    assert BOOKED_EN in english and BOOKED_FR not in english
    assert "The mission Infirmier·e de nuit — Urgences at CH de Mende is booked for Alice Martin" in english
    assert "Dec. 3, 2026" in english  # the dates are formatted again, in English

    email = deliveries(alice, Channel.EMAIL).get()
    assert email.subject == BOOKED_FR and "Bonjour Alice" in email.body  # sent in the notification language


def test_an_english_notification_language_is_shown_in_french_to_a_french_page(client, alice):
    _set_language(alice, "en")
    notification = _notify(alice, 1)
    assert notification.subject == BOOKED_EN
    client.force_login(alice)
    html = client.get(CENTRE).content.decode()
    assert BOOKED_FR in html and BOOKED_EN not in html


def test_the_centre_costs_the_same_queries_with_1_or_20_notifications_to_translate(client, alice):
    client.force_login(alice)
    _english(client)
    _notify(alice, 0)
    with CaptureQueriesContext(connection) as one:
        assert BOOKED_EN in client.get(CENTRE).content.decode()
    for n in range(1, 20):
        _notify(alice, n, "mission.cancelled" if n % 2 else "proposal.new")
    with CaptureQueriesContext(connection) as twenty:
        html = client.get(CENTRE).content.decode()
    assert html.count('class="card notification unread"') == 20
    assert "Mission cancelled" in html and "New proposal" in html
    assert len(twenty.captured_queries) == len(one.captured_queries), [q["sql"] for q in twenty.captured_queries]


def test_the_stored_text_is_shown_when_the_context_no_longer_fits(client, alice, caplog):
    """An old notification whose context lacks a key the templates now need, one whose event was
    removed, and one whose context breaks the template: each keeps its stored (French) text."""
    old_context, removed_event, broken = _notify(alice, 1), _notify(alice, 2), _notify(alice, 3, "shift.unfilled")
    context = dict(old_context.context)
    del context["starts_at"]
    Notification.objects.filter(pk=old_context.pk).update(context=context, subject="ancien objet A", body="ancien A")
    Notification.objects.filter(pk=removed_event.pk).update(event="mission.gone", subject="ancien objet B")
    Notification.objects.filter(pk=broken.pk).update(context={**broken.context, "open_positions": "deux"})
    _notify(alice, 4, "mission.cancelled")  # a sound one, translated on the same page

    client.force_login(alice)
    with caplog.at_level(logging.WARNING, logger="notifications.rendering"):
        response = _english(client).get(CENTRE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "ancien objet A" in html and "ancien A" in html
    assert "ancien objet B" in html
    assert broken.subject in html and "La vacation" in html
    assert "Mission cancelled" in html
    assert any(f"notification {broken.pk}: cannot re-render" in r.getMessage() for r in caplog.records)


def test_the_api_follows_the_request_language(alice):
    notification = _notify(alice, 1)
    api = APIClient()
    api.force_authenticate(alice)
    english = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert english["subject"] == BOOKED_EN
    french = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="fr").json()["results"][0]
    assert french["subject"] == BOOKED_FR
    read = api.post(f"/api/v1/notifications/{notification.pk}/read/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert read["subject"] == BOOKED_EN and read["read"] is True


def test_the_digest_lists_each_subject_in_the_digest_language(alice):
    """A notification held while the language was French goes out in an English digest in English."""
    held = _notify(alice, 1, "credential.expiring")
    assert held.digest_state == "held" and held.language == "fr"
    _set_language(alice, "en")
    digest = digest_send(user=alice, day=today_in_paris())
    body = digest.delivery.body
    assert "Your credential expires on Dec. 31, 2026: Attestation d'assurance RCP" in body
    assert held.subject not in body


def test_without_saved_preferences_the_notification_language_stays_french(client, alice):
    """The site language is only a cookie (Django's ``set_language``), unknown to a task that notifies:
    someone who browses in English but never saved preferences gets French emails (docs/notifications.md)."""
    client.force_login(alice)
    response = _english(client).post(reverse("set_language"), {"language": "en", "next": CENTRE})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    notification = _notify(alice, 1)
    assert notification.language == "fr"
    assert deliveries(alice, Channel.EMAIL).get().subject == BOOKED_FR
    assert BOOKED_EN in client.get(CENTRE).content.decode()  # while the centre follows the site
    preferences = client.get(reverse("notifications:preferences")).content.decode()
    assert '<option value="fr" selected>' in preferences
    mail.outbox.clear()


def test_saved_preferences_choose_the_email_language(alice):
    preferences_update(actor=alice, language="en", choices={"mission.booked": Preference(True, False, False)})
    assert _notify(alice, 1).language == "en"
    assert deliveries(alice, Channel.EMAIL).get().subject == BOOKED_EN
