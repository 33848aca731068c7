"""The personal API token: it expires, asking again gives a new one, and its owner sees it (start of
the key, issued, expires, last used) and revokes it on « Jeton d'API »."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD, make_user
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def _issue(client, email: str) -> str:
    response = client.post(reverse("api:token"), {"username": email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.4")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(client, key: str):
    return client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_expires_and_asking_again_gives_a_new_one(client):
    make_user("alice@example.org")
    key = _issue(client, "alice@example.org")
    assert _me(client, key).status_code == 200
    assert _issue(client, "alice@example.org") == key  # still valid: the same token
    later = timezone.now() + settings.API_TOKEN_LIFETIME + timedelta(seconds=1)
    with time_machine.travel(later, tick=True):
        refused = _me(client, key)
        assert refused.status_code == 403 and "expiré" in refused.json()["detail"]  # the API says 403 signed out
        fresh = _issue(client, "alice@example.org")
        assert fresh != key and _me(client, fresh).status_code == 200
        assert _me(client, key).status_code == 403


def test_the_owner_sees_the_start_dates_and_last_use_never_the_whole_key(client):
    alice = make_user("alice@example.org")
    key = _issue(client, "alice@example.org")
    _me(client, key)
    client.force_login(alice)
    html = client.get(reverse("accounts:api_token")).content.decode()
    assert key[:6] in html and key not in html
    assert "Expire le" in html and "jamais" not in html  # the use above is shown


def test_someone_else_sees_only_their_own_and_anonymous_is_asked_to_sign_in(client):
    make_user("alice@example.org")
    key = _issue(client, "alice@example.org")
    client.force_login(make_user("bob@example.org"))
    html = client.get(reverse("accounts:api_token")).content.decode()
    assert key[:6] not in html and "Aucun jeton en cours." in html
    client.logout()
    response = client.get(reverse("accounts:api_token"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_revoking_refuses_the_key_at_once_and_is_audited(client):
    alice = make_user("alice@example.org")
    key = _issue(client, "alice@example.org")
    client.force_login(alice)
    unconfirmed = client.post(reverse("accounts:api_token"), {})
    assert unconfirmed.status_code == 400 and Token.objects.filter(user=alice).exists()
    response = client.post(reverse("accounts:api_token"), {"confirm": "on"}, follow=True)
    assert "Jeton révoqué" in response.content.decode()
    assert not Token.objects.filter(user=alice).exists()
    client.logout()  # the key alone, as a planning tool sends it
    assert _me(client, key).status_code == 403
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=alice).count() == 1
