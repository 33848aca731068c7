"""Every endpoint that checks a password is limited: per account (five failures, then a short wait)
and per address (ten a minute), and the wait is short enough that a stranger cannot keep the owner
out for long. The sign-in page, the admin (which signs in through it) and the API token share one
count; the contract signature has its own (tests/contracts/test_signature.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"
# allauth's defaults, kept on purpose: 5 failures per account per 5 minutes, 10 per address a minute.
ACCOUNT_ATTEMPTS, ACCOUNT_WAIT = 5, timedelta(minutes=5)


def _sign_in(client, email: str, password: str, address: str = "198.51.100.7"):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address)


def _refused_for_too_many(response) -> bool:
    form = response.context and response.context.get("form")
    return bool(form) and "too_many_login_attempts" in {e.code for errors in form.errors.as_data().values() for e in errors}


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_hold_the_account_then_the_owner_gets_back_in(client):
    make_user("alice@example.org")
    for _ in range(ACCOUNT_ATTEMPTS):
        assert not _refused_for_too_many(_sign_in(client, "alice@example.org", WRONG))
    held = _sign_in(client, "alice@example.org", PASSWORD, address="203.0.113.9")  # even from elsewhere
    assert _refused_for_too_many(held) and not _signed_in(client)
    with time_machine.travel(timezone.now() + ACCOUNT_WAIT + timedelta(seconds=1), tick=True):
        response = _sign_in(client, "alice@example.org", PASSWORD, address="203.0.113.9")
        assert response.status_code == 302 and _signed_in(client)


def test_ten_failures_a_minute_from_one_address_hold_that_address_only(client):
    for n in range(4):
        make_user(f"user{n}@example.org")
    for n in range(10):  # spread over accounts so that no account reaches its own limit
        _sign_in(client, f"user{n % 3}@example.org", WRONG, address="192.0.2.50")
    assert _refused_for_too_many(_sign_in(client, "user3@example.org", PASSWORD, address="192.0.2.50"))
    assert not _signed_in(client)
    assert _sign_in(client, "user3@example.org", PASSWORD, address="192.0.2.51").status_code == 302
    assert _signed_in(client)


def test_the_admin_has_no_login_form_of_its_own(client):
    # Its form had no limit; it now sends to the site's sign-in, which counts failures as above.
    response = client.post("/admin/login/?next=/admin/", {"username": "alice@example.org", "password": WRONG})
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_the_api_token_and_the_sign_in_page_share_one_count(client):
    make_user("api@example.org")
    for _ in range(3):
        _sign_in(client, "api@example.org", WRONG)
    for _ in range(ACCOUNT_ATTEMPTS - 3):
        assert client.post(reverse("api:token"), {"username": "api@example.org", "password": WRONG}).status_code == 400
    assert client.post(reverse("api:token"), {"username": "api@example.org", "password": PASSWORD}).status_code == 429
    with time_machine.travel(timezone.now() + ACCOUNT_WAIT + timedelta(seconds=1), tick=True):
        assert client.post(reverse("api:token"), {"username": "api@example.org", "password": PASSWORD}).status_code == 200
