"""The calendar's shortcut labels follow the language of the request (they were frozen in French
at import time when a lazy string was %-formatted)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from professionals.forms import ShortcutForm
from tests.factories import make_professional
from tests.professionals.test_pages import following_month

pytestmark = pytest.mark.django_db


def test_week_shortcuts_are_labelled_in_the_active_language():
    with translation.override("en"):
        english = {value: str(label) for value, label in ShortcutForm().fields["shortcut_days"].choices}
    with translation.override("fr"):
        french = {value: str(label) for value, label in ShortcutForm().fields["shortcut_days"].choices}
    assert english["w3"] == "week 3"
    assert french["w3"] == "la semaine 3"


def test_the_calendar_page_in_english_shows_week_n(client):
    pro = make_professional()
    client.force_login(pro.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("professionals:calendar", args=following_month())).content.decode()
    assert '<option value="w3">week 3</option>' in html
    assert "la semaine" not in html
