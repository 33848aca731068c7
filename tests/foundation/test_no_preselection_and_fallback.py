"""Sign-up pre-selects nothing (the person says who they are, and their civility if they wish); an
unknown language code sent to the language switch is ignored without error and the pages stay in French."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.foundation.test_accounts import signup

pytestmark = pytest.mark.django_db


def test_sign_up_ticks_no_intent(client):
    response = client.get(reverse("account_signup"))
    assert response.context["form"]["signup_intent"].value() is None
    html = response.content.decode()
    assert 'name="signup_intent"' in html and "checked" not in html


def test_sign_up_asks_the_civility_and_ticks_none(client):
    response = client.get(reverse("account_signup"))
    assert response.context["form"]["civility"].value() is None
    html = response.content.decode()
    for value in ("madame", "monsieur", "not_stated"):
        assert f'name="civility" value="{value}"' in html
    assert "checked" not in html


def test_sign_up_without_an_intent_is_refused_and_writes_nothing(client):
    response = signup(client, intent="")
    assert response.status_code == 200
    assert response.context["form"].errors["signup_intent"] == [
        "Indiquez si vous êtes un professionnel de santé ou un établissement."
    ]
    assert not User.objects.filter(email="new@example.org").exists()


@pytest.mark.parametrize("accept_language", ["fr", "xx"])
def test_an_unknown_language_falls_back_to_french(client, accept_language):
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "/"}, HTTP_ACCEPT_LANGUAGE=accept_language
    )
    assert response.status_code == 302 and response.url == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language).content.decode()
    assert '<html lang="fr">' in page and '<option value="fr" selected>' in page
    assert "Se connecter" in page
