"""Each event the trail must hold is written where it happens: sign-in, failed sign-in, sign-out,
a credential or contract download, an ARS export, an API token's use (once an hour)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.audit.conftest import upload_credential
from tests.factories import PASSWORD, make_ars_agent, make_user
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_a_sign_in_is_recorded_with_the_address_it_came_from(client, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    user = make_user()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")
    assert response.status_code == 302
    [row] = rows("auth.login")
    assert (row.actor, row.target_type, row.target_id) == (user, "accounts.user", str(user.pk))
    assert row.data == {"ip": "203.0.113.7"}  # the proxy's entry, not the one the client wrote


def test_a_failed_sign_in_keeps_the_address_tried_never_the_password(client):
    user = make_user()
    wrong = "not-the-password-Zq9!"
    client.post(reverse("account_login"), {"login": user.email.upper(), "password": wrong})
    client.post(reverse("account_login"), {"login": "nobody@example.org", "password": wrong})
    known, unknown = rows("auth.login_failed")
    assert known.actor is None and (known.target_type, known.target_id) == ("accounts.user", str(user.pk))
    assert known.data == {"email": user.email, "ip": "127.0.0.1"}  # as allauth read it (lower case)
    assert (unknown.target_type, unknown.target_id) == ("", "")
    assert unknown.data["email"] == "nobody@example.org"
    assert not AuditEvent.objects.filter(data__icontains=wrong).exists()
    assert not rows("auth.login")


def test_a_failed_api_token_request_is_a_failed_sign_in_too(client):
    user = make_user()
    response = client.post(reverse("api:token"), {"username": user.email, "password": "wrong-password-123"})
    assert response.status_code == 400
    [row] = rows("auth.login_failed")
    assert row.target_id == str(user.pk)


def test_a_sign_out_is_recorded(client):
    user = make_user()
    client.force_login(user)
    client.post(reverse("account_logout"))
    [row] = rows("auth.logout")
    assert (row.actor, row.target_id) == (user, str(user.pk))


def test_a_credential_download_says_who_read_whose_document(client, site):
    credential = upload_credential(site.pro)
    url = reverse("professionals:credential_download", args=[credential.pk])
    client.force_login(site.viewer)  # a member of the establishment where the professional is booked
    assert client.get(url).status_code == 200
    [row] = rows("credential.download")
    assert row.actor == site.viewer
    assert (row.target_type, row.target_id) == ("professionals.professional", str(site.pro.pk))
    assert row.data == {"credential": credential.pk, "kind": "insurance", "ip": "127.0.0.1"}
    client.force_login(site.other_pro.user)
    assert client.get(url).status_code == 404
    assert len(rows("credential.download")) == 1  # a refused download reads nothing, records nothing


def test_a_contract_download_is_recorded_on_the_contract(client, site):
    url = reverse("missions:contract_download", args=[site.contract.pk])
    client.force_login(site.pro.user)
    assert client.get(url).status_code == 200
    client.force_login(site.other_admin)
    assert client.get(url).status_code == 404
    [row] = rows("contract.download")
    assert (row.actor, row.target_type, row.target_id) == (site.pro.user, "missions.contract", str(site.contract.pk))
    assert row.data == {"document": "original", "ip": "127.0.0.1"}


def test_an_ars_export_is_recorded_with_its_table_and_filters(client):
    agent = make_ars_agent("76")
    client.force_login(agent)
    response = client.get(reverse("dashboards:export", args=["76", "departements", "csv"]))
    assert response.status_code == 200
    [row] = rows("dashboard.export")
    assert (row.actor, row.target_type, row.target_id) == (agent, "territories.region", "76")
    assert row.data["table"] == "departements" and row.data["format"] == "csv" and row.data["scope"] == "76"
    assert row.data["start"] <= row.data["end"]


def test_an_api_token_use_is_recorded_once_an_hour(client):
    user = make_user()
    token = Token.objects.create(user=user)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert client.get(reverse("api:me"), **headers).status_code == 200
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert client.get(reverse("api:me"), **headers).status_code == 200
    assert len(rows("api_token.use")) == 1
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert client.get(reverse("api:me"), **headers).status_code == 200
        assert client.get(reverse("api:me"), **headers).status_code == 200
    first, second = rows("api_token.use")
    assert (first.actor, first.target_id) == (user, str(user.pk))
    assert second.created_at - first.created_at == timedelta(minutes=61)
    assert token.key not in str(first.data) + first.target_id  # the trail never holds the secret
    client.get(reverse("api:me"), HTTP_AUTHORIZATION="Token wrong")
    assert len(rows("api_token.use")) == 2
