"""The CSV import page describes its columns in the language of the person reading it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from establishments.csv_import import COLUMNS

pytestmark = pytest.mark.django_db


def test_every_column_description_is_marked_for_translation():
    # A plain str would be shown in French whatever the UI language.
    assert all(isinstance(description, Promise) for _required, description in COLUMNS.values())


def test_the_import_page_in_english_describes_the_columns_in_english(client, alice, establishment_a):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("establishments:shift_import", args=[establishment_a.pk])).content.decode()
    assert "number of positions, from 1 to 50" in html
    assert "HH:MM (Paris time)" in html
    assert "nombre de postes" not in html
    assert "heure de Paris" not in html
    with translation.override("en"):
        for _required, description in COLUMNS.values():
            assert str(description) in html.replace("&#x27;", "'")


def test_the_import_page_in_french_keeps_the_french_descriptions(client, alice, establishment_a):
    client.force_login(alice)
    html = client.get(reverse("establishments:shift_import", args=[establishment_a.pk])).content.decode()
    assert "nombre de postes, de 1 à 50" in html
    assert "HH:MM (heure de Paris)" in html
