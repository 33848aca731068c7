"""The privacy notice: public, linked from every page's footer, in French and English, and giving
the retention periods the purge uses."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_notice_is_public_and_linked_from_the_footer(client):
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("privacy:notice")}"' in home
    page = client.get(reverse("privacy:notice"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "5 ans après la fin de la mission" in text and "Code civil art. 2224" in text
    assert "<script>" not in text  # CSP: no inline script


def test_the_notice_shows_the_configured_periods(client, settings):
    settings.PRIVACY_READ_NOTIFICATION_MONTHS = 9
    settings.PRIVACY_UNVERIFIED_SIGNUP_DAYS = 45
    text = client.get(reverse("privacy:notice")).content.decode()
    assert "9 mois après leur lecture" in text and "45 jours" in text


def test_the_notice_in_english(client):
    text = client.get(reverse("privacy:notice"), headers={"accept-language": "en"}).content.decode()
    assert "Privacy and personal data" in text and "5 years after the end of the mission" in text
    assert "6 months after being read" in text
