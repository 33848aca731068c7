"""Integration tokens: an establishment admin (alice) creates named tokens with a scope and an expiry
(the secret shown once, only its hash kept), revokes them; each token authenticates on the API as a
dedicated account (viewer or HR member of the establishment), throttled per token, every use audited.

Bob (viewer of A), an HR member of A and Charlie (admin of B) get a 404 on A's token pages and API.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from establishments.models import IntegrationToken, MemberRole, Membership, Shift
from establishments.services_tokens import (
    LAST_USE_PRECISION,
    TOKEN_CREATE,
    TOKEN_REFUSED,
    TOKEN_REVOKE,
    TOKEN_USE,
    integration_token_create,
    integration_token_revoke,
)
from notifications.events import get_event
from notifications.services import channels_for, preferences_for
from tests.factories import add_member, make_shift, make_user, sign_in
from ville_hopital.access import CHANGE, VIEW
from ville_hopital.models import AuditEvent
from ville_hopital.privacy.retention import unverified_signups
from ville_hopital.roles import second_factor_required

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def tokens_url(establishment) -> str:
    return reverse("api:integration-tokens", kwargs={"establishment_id": establishment.pk})


def revoke_url(token) -> str:
    return reverse("api:integration-token-revoke",
                   kwargs={"establishment_id": token.establishment_id, "token_id": token.pk})


@pytest.fixture
def hr_a(establishment_a):
    hr = make_user("helene@ch-mende.test")
    add_member(establishment_a, hr, MemberRole.HR)
    return hr


@pytest.fixture
def read_token(alice, establishment_a):
    return integration_token_create(actor=alice, establishment=establishment_a, name="Planning", scope="read")


@pytest.fixture
def write_token(alice, establishment_a):
    return integration_token_create(actor=alice, establishment=establishment_a, name="GRH", scope="write")


# --------------------------------------------------------------------------- creating


def test_the_admin_creates_a_token_on_the_page_and_sees_its_secret_once(client, alice, establishment_a):
    sign_in(client, alice)
    page = reverse("establishments:integration_tokens", args=[establishment_a.pk])
    expires_on = timezone.localdate() + timedelta(days=30)
    response = client.post(page, {"name": "Planning des urgences", "scope": "write", "expires_on": expires_on.isoformat()})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = IntegrationToken.objects.get(establishment=establishment_a)
    secret = response.context["secret"]
    assert secret.startswith("vh_it_") and len(secret) > 40
    assert secret in response.content.decode()
    # Only the hash is kept; nothing of the row holds the secret.
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(IntegrationToken.objects.filter(pk=token.pk).values().get())
    assert token.key_prefix == secret[:14]
    assert timezone.localtime(token.expires_at).date() == expires_on
    assert (token.scope, token.created_by) == ("write", alice)
    # Never shown again: the list shows its start only.
    listing = client.get(page).content.decode()
    assert secret not in listing and token.key_prefix in listing and "Planning des urgences" in listing
    assert AuditEvent.objects.filter(action=TOKEN_CREATE, target_id=str(token.pk), actor=alice).exists()


def test_the_token_has_an_account_no_person_can_sign_in_to(read_token, write_token, establishment_a, client):
    (read, _), (write, _) = read_token, write_token
    for token, role in ((read, MemberRole.VIEWER), (write, MemberRole.HR)):
        user = token.user
        assert user.is_integration and not user.has_usable_password()
        assert user.email.endswith("@integration.invalid")
        assert not EmailAddress.objects.filter(user=user).exists()
        assert user.get_full_name() == f"Intégration « {token.name} »"
        assert Membership.objects.get(user=user, establishment=establishment_a).role == role
        assert not client.login(email=user.email, password="")


def test_the_api_creates_a_token_and_returns_its_secret_once(client, alice, establishment_a):
    client.force_login(alice)
    response = client.post(tokens_url(establishment_a), {"name": "Planning", "scope": "read"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    token = IntegrationToken.objects.get(pk=body["id"])
    assert token.key_hash == hashlib.sha256(body["secret"].encode()).hexdigest()
    assert body["state"] == "active" and body["key_prefix"] == body["secret"][:14]
    # 90 days by default.
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    listing = client.get(tokens_url(establishment_a))
    assert listing.status_code == 200
    assert body["secret"] not in listing.content.decode()
    assert [row["name"] for row in listing.json()["results"]] == ["Planning"]
    assert "secret" not in listing.json()["results"][0]


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "X", "scope": "admin"}, "scope"),
    ({"name": "", "scope": "read"}, "name"),
    ({"name": "X", "scope": "read", "expires_at": "2000-01-01T00:00:00+01:00"}, "expires_at"),
    ({"name": "X", "scope": "read", "expires_at": "{far}"}, "expires_at"),
    ({"name": "Planning", "scope": "read"}, "name"),  # the name of a token still live
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(client, alice, establishment_a, read_token, payload, field):
    payload = {k: v.format(far=(timezone.now() + timedelta(days=400)).isoformat()) for k, v in payload.items()}
    client.force_login(alice)
    before = (IntegrationToken.objects.count(), Membership.objects.count())
    response = client.post(tokens_url(establishment_a), payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert (IntegrationToken.objects.count(), Membership.objects.count()) == before


def test_a_revoked_tokens_name_may_be_given_again(alice, establishment_a, read_token):
    integration_token_revoke(actor=alice, token=read_token[0])
    token, _ = integration_token_create(actor=alice, establishment=establishment_a, name="Planning", scope="read")
    assert token.pk != read_token[0].pk


# --------------------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["bob", "hr_a", "charlie"])
def test_only_the_establishments_admins_see_its_tokens(request, client, who, establishment_a, establishment_b, read_token):
    user = request.getfixturevalue(who)
    client.force_login(user)
    token = read_token[0]
    assert client.get(reverse("establishments:integration_tokens", args=[establishment_a.pk])).status_code == 404
    assert client.post(reverse("establishments:integration_tokens", args=[establishment_a.pk]),
                       {"name": "Mine", "scope": "write", "expires_on": timezone.localdate().isoformat()}).status_code == 404
    assert client.get(reverse("establishments:integration_token_revoke", args=[token.pk])).status_code == 404
    assert client.post(reverse("establishments:integration_token_revoke", args=[token.pk])).status_code == 404
    assert client.get(tokens_url(establishment_a)).status_code == 404
    assert client.post(tokens_url(establishment_a), {"name": "Mine", "scope": "write"},
                       content_type="application/json").status_code == 404
    assert client.post(revoke_url(token)).status_code == 404
    assert IntegrationToken.objects.count() == 1 and IntegrationToken.objects.get().revoked_at is None


def test_another_sites_token_is_not_found_from_ones_own_site(client, alice, charlie, establishment_a, establishment_b, read_token):
    """Charlie administers B: A's token is missing under B's path as under A's."""
    client.force_login(charlie)
    wrong = reverse("api:integration-token-revoke", kwargs={"establishment_id": establishment_b.pk, "token_id": read_token[0].pk})
    assert client.post(wrong).status_code == 404
    assert client.get(tokens_url(establishment_b)).json()["results"] == []


def test_a_token_cannot_manage_tokens(establishment_a, client, write_token):
    """Its account is an HR member, not an admin: the tokens are missing to it."""
    _, secret = write_token
    assert client.get(tokens_url(establishment_a), **bearer(secret)).status_code == 404
    assert client.post(tokens_url(establishment_a), {"name": "Another", "scope": "write"},
                       content_type="application/json", **bearer(secret)).status_code == 404


def test_the_page_is_linked_for_admins_only(client, alice, bob, establishment_a):
    link = reverse("establishments:integration_tokens", args=[establishment_a.pk])
    client.force_login(alice)
    assert link in client.get(reverse("establishments:detail", args=[establishment_a.pk])).content.decode()
    client.force_login(bob)
    assert link not in client.get(reverse("establishments:detail", args=[establishment_a.pk])).content.decode()


def test_the_members_page_lists_people_not_token_accounts(client, alice, establishment_a, read_token):
    client.force_login(alice)
    page = client.get(reverse("establishments:members", args=[establishment_a.pk])).content.decode()
    assert "alice@ch-mende.test" in page and read_token[0].user.email not in page


# --------------------------------------------------------------------------- using


def test_the_token_authenticates_as_its_account_and_every_use_is_audited(client, read_token):
    token, secret = read_token
    response = client.get(reverse("api:me"), **bearer(secret))
    assert response.status_code == 200, response.content
    assert response.json()["roles"] == ["establishment_member"]
    assert response.json()["email"] == token.user.email
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    client.get(reverse("api:notification-list"), **bearer(secret))
    uses = AuditEvent.objects.filter(action=TOKEN_USE, target_id=str(token.pk)).order_by("pk")
    assert [(e.actor_id, e.data["method"], e.data["path"]) for e in uses] == [
        (token.user.pk, "GET", reverse("api:me")), (token.user.pk, "GET", reverse("api:notification-list")),
    ]
    # Dated at most once a minute…
    token.refresh_from_db()
    assert token.last_used_at == first_use
    # …and again once the minute is over.
    with time_machine.travel(timezone.now() + LAST_USE_PRECISION + timedelta(seconds=5), tick=False):
        client.get(reverse("api:me"), **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_the_scope_is_the_role(establishment_a, read_token, write_token):
    """read: a viewer (sees the shifts, changes none); write: HR (changes them) — for_user's own rule."""
    shift = make_shift(establishment_a)
    reader, writer = read_token[0].user, write_token[0].user
    assert list(Shift.objects.for_user(reader, VIEW)) == [shift]
    assert not Shift.objects.for_user(reader, CHANGE).exists()
    assert list(Shift.objects.for_user(writer, CHANGE)) == [shift]


def test_the_second_factor_rule_leaves_integration_accounts_out(client, write_token, hr_a):
    """Its account is an HR member, whose role requires a second factor: not of a token's account."""
    token, secret = write_token
    assert second_factor_required(hr_a) and not second_factor_required(token.user)
    assert client.get(reverse("api:me"), **bearer(secret)).status_code == 200


def test_no_email_or_sms_goes_to_a_token_account(write_token):
    user = write_token[0].user
    event = get_event("shift.unfilled")
    channels = channels_for(recipient=user, event=event, preference=preferences_for(user)["shift.unfilled"],
                            urgent=True, starts_at=None, now=timezone.now())
    assert channels == {}


def test_an_expired_token_is_refused_with_a_401(client, alice, establishment_a):
    token, secret = integration_token_create(actor=alice, establishment=establishment_a, name="Court", scope="read",
                                             expires_at=timezone.now() + timedelta(days=2))
    assert client.get(reverse("api:me"), **bearer(secret)).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        response = client.get(reverse("api:me"), **bearer(secret))
    assert response.status_code == 401
    assert "expiré" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AuditEvent.objects.filter(action=TOKEN_REFUSED, target_id=str(token.pk), data__reason="expired").exists()


def test_a_revoked_token_is_refused_with_a_401_and_its_account_is_closed(client, alice, establishment_a, read_token):
    token, secret = read_token
    client.force_login(alice)
    response = client.post(revoke_url(token))
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    client.logout()
    response = client.get(reverse("api:me"), **bearer(secret))
    assert response.status_code == 401
    assert "révoqué" in response.json()["detail"]
    token.refresh_from_db()
    assert token.revoked_by == alice and not token.user.is_active
    assert not Membership.objects.filter(user=token.user).exists()
    assert AuditEvent.objects.filter(action=TOKEN_REVOKE, target_id=str(token.pk), actor=alice).exists()
    assert AuditEvent.objects.filter(action=TOKEN_REFUSED, target_id=str(token.pk), data__reason="revoked").exists()


def test_revoking_on_the_page_asks_first(client, alice, establishment_a, read_token):
    token, secret = read_token
    client.force_login(alice)
    url = reverse("establishments:integration_token_revoke", args=[token.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and token.key_prefix in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(url)
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(reverse("api:me"), **bearer(secret)).status_code == 401


def test_an_unknown_secret_is_a_401_and_another_bearer_is_not_ours(client):
    unknown = client.get(reverse("api:me"), **bearer("vh_it_" + "x" * 43))
    assert unknown.status_code == 401 and "inconnu" in unknown.json()["detail"]
    # A bearer credential of another kind is left alone: not signed in, the API's usual 403.
    assert client.get(reverse("api:me"), **bearer("someone-elses-token")).status_code == 403


def test_requests_are_throttled_per_token(client, settings, read_token, write_token):
    settings.INTEGRATION_TOKEN_REQUESTS_PER_MINUTE = 2
    (_, reader), (_, writer) = read_token, write_token
    assert [client.get(reverse("api:me"), **bearer(reader)).status_code for _ in range(2)] == [200, 200]
    throttled = client.get(reverse("api:me"), **bearer(reader))
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    # The other token has its own count.
    assert client.get(reverse("api:me"), **bearer(writer)).status_code == 200


def test_the_list_reads_a_constant_number_of_queries(client, alice, establishment_a, django_assert_max_num_queries):
    client.force_login(alice)
    counts = []
    for total in (2, 8):
        while IntegrationToken.objects.count() < total:
            integration_token_create(actor=alice, establishment=establishment_a,
                                     name=f"Jeton {IntegrationToken.objects.count()}", scope="read")
        with django_assert_max_num_queries(20) as captured:
            assert len(client.get(tokens_url(establishment_a)).json()["results"]) == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] > 0, counts


def test_the_page_lists_with_a_constant_number_of_queries(client, alice, establishment_a):
    client.force_login(alice)
    page = reverse("establishments:integration_tokens", args=[establishment_a.pk])
    client.get(page)  # the first visit records the current establishment in the session
    counts = []
    for total in (2, 8):
        while IntegrationToken.objects.count() < total:
            integration_token_create(actor=alice, establishment=establishment_a,
                                     name=f"Jeton {IntegrationToken.objects.count()}", scope="read")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] > 0, counts


def test_the_establishments_trail_shows_its_tokens(client, alice, establishment_a, read_token):
    _, secret = read_token
    Client().get(reverse("api:me"), **bearer(secret))
    client.force_login(alice)
    page = client.get(reverse("audit:establishment", args=[establishment_a.pk])).content.decode()
    assert "Jeton d&#x27;intégration créé" in page and "Jeton d&#x27;intégration utilisé" in page


def test_the_refusal_speaks_english_when_asked(client, alice, read_token):
    token, secret = read_token
    integration_token_revoke(actor=alice, token=token)
    response = client.get(reverse("api:me"), HTTP_ACCEPT_LANGUAGE="en", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Integration token revoked on ")


def test_the_page_shows_the_services_refusal(client, alice, establishment_a):
    sign_in(client, alice)
    page = reverse("establishments:integration_tokens", args=[establishment_a.pk])
    too_far = timezone.localdate() + timedelta(days=400)
    response = client.post(page, {"name": "Planning", "scope": "read", "expires_on": too_far.isoformat()})
    assert response.status_code == 200
    assert "Un jeton dure au plus un an" in response.content.decode()
    assert not IntegrationToken.objects.exists()


def test_a_revoked_tokens_account_is_not_purged_as_an_abandoned_sign_up(alice, read_token):
    token = integration_token_revoke(actor=alice, token=read_token[0])
    later = timezone.now() + timedelta(days=365)
    assert not unverified_signups(before=later).filter(pk=token.user.pk).exists()


def test_an_accepted_request_costs_two_queries_and_the_date_once_a_minute(client, read_token):
    _, secret = read_token
    client.get(reverse("api:me"), **bearer(secret))  # the first use dates the token
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert client.get(reverse("api:me"), **bearer(secret)).status_code == 200
    about_tokens = [sql.split()[0] for sql in seen if "integrationtoken" in sql or "auditevent" in sql]
    assert about_tokens == ["SELECT", "INSERT"]


def test_staff_see_the_tokens_in_the_admin_and_change_nothing(client, admin_user, read_token):
    token, secret = read_token
    client.force_login(admin_user)
    listing = client.get(reverse("admin:establishments_integrationtoken_changelist"))
    assert listing.status_code == 200 and token.key_prefix in listing.content.decode()
    detail = client.get(reverse("admin:establishments_integrationtoken_change", args=[token.pk])).content.decode()
    assert token.key_hash not in detail and secret not in detail
    assert client.get(reverse("admin:establishments_integrationtoken_add")).status_code == 403
