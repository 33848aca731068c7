"""Nobody learns from the platform's answers whether an email address has an account.

``ACCOUNT_PREVENT_ENUMERATION``: a sign-up with a taken address answers exactly like a new one
(same redirect, same page) and creates nothing, while the address's owner is emailed "you already
have an account"; a password reset for an unknown address answers like one for a known address,
and the address is emailed "no account uses this address". Signing in and the API token say
"email or password incorrect" in both cases. An establishment admin inviting someone is told
nothing about the address's account either (only whether that person is already a member of
*their* establishment, which its member list shows anyway).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import SignupIntent, User
from establishments.models import MemberInvitation, MemberRole
from establishments.services import member_invitation_create
from tests.factories import PASSWORD, make_establishment, make_user
from tests.foundation.test_emails import ALREADY, LANGUAGES, UNKNOWN

pytestmark = pytest.mark.django_db


def page_text(response, email: str) -> str:
    """The page as anyone sees it, with the address typed (in any case) and the CSRF token (random)
    blanked."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    return re.sub(re.escape(email), "<email>", html, flags=re.IGNORECASE)


def post_and_follow(path: str, data: dict, email: str, language: str) -> tuple[int, str, str]:
    """A fresh visitor posts ``data``: the status, where it is sent, and the page found there."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post(path, data)
    location = response.get("Location", "")
    landing = client.get(location) if location else response
    return response.status_code, location, page_text(landing, email)


def sign_up(email: str, language: str) -> tuple[int, str, str]:
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, "first_name": "Léa",
            "last_name": "Martin", "signup_intent": SignupIntent.PROFESSIONAL}
    return post_and_follow(reverse("account_signup"), data, email, language)


def sent_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


# --- sign-up --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_signing_up_with_a_taken_address_answers_exactly_like_a_new_one(language):
    make_user("taken@example.org")
    taken = sign_up("Taken@Example.org", language)
    fresh = sign_up("fresh@example.org", language)
    assert taken[0] == fresh[0] == 302
    assert taken[1] == fresh[1] == reverse("account_email_verification_sent")
    assert taken[2] == fresh[2]  # the same "check your email" page, word for word
    assert "<email>" in taken[2]  # the page names the address typed, whichever it is


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_taken_address_creates_nothing_and_its_owner_is_told_there_is_an_account(language):
    owner = make_user("taken@example.org", first_name="Owner")
    users_before = User.objects.count()
    sign_up("taken@example.org", language)
    assert User.objects.count() == users_before
    owner.refresh_from_db()
    assert owner.first_name == "Owner" and owner.check_password(PASSWORD)
    [message] = sent_to("taken@example.org")
    assert ALREADY[language] in message.subject
    # Where to go next: the sign-in page and the password reset, never a confirmation link.
    assert reverse("account_login") in message.body and reverse("account_reset_password") in message.body
    assert "confirm-email" not in message.body


def test_an_unverified_account_s_address_is_not_told_either():
    make_user("pending@example.org", verified=False)
    taken, fresh = sign_up("pending@example.org", "fr"), sign_up("fresh@example.org", "fr")
    assert taken == fresh
    assert User.objects.filter(email="pending@example.org").count() == 1
    assert ALREADY["fr"] in sent_to("pending@example.org")[0].subject


# --- password reset -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_password_reset_answers_the_same_for_a_known_and_an_unknown_address(language):
    make_user("known@example.org")
    path = reverse("account_reset_password")
    known = post_and_follow(path, {"email": "known@example.org"}, "known@example.org", language)
    unknown = post_and_follow(path, {"email": "nobody@example.org"}, "nobody@example.org", language)
    assert known[0] == unknown[0] == 302
    assert known[1] == unknown[1] == reverse("account_reset_password_done")
    assert known[2] == unknown[2]
    assert not User.objects.filter(email="nobody@example.org").exists()
    # Each address gets one email: the link for the known one, "no account" for the other.
    [reset] = sent_to("known@example.org")
    assert "/accounts/password/reset/key/" in reset.body
    [nothing] = sent_to("nobody@example.org")
    assert UNKNOWN[language] in nothing.subject
    assert reverse("account_signup") in nothing.body and "/password/reset/key/" not in nothing.body


# --- signing in, the API token, invitations -------------------------------------------------------


def test_signing_in_says_the_same_for_a_wrong_password_and_an_unknown_address():
    make_user("known@example.org")
    path = reverse("account_login")
    wrong = post_and_follow(path, {"login": "known@example.org", "password": "not-the-password"},
                            "known@example.org", "fr")
    unknown = post_and_follow(path, {"login": "nobody@example.org", "password": "not-the-password"},
                              "nobody@example.org", "fr")
    assert wrong == unknown and wrong[0] == 200


def test_the_api_token_says_the_same_for_a_wrong_password_and_an_unknown_address(client):
    make_user("known@example.org")
    wrong = client.post(reverse("api:token"), {"username": "known@example.org", "password": "not-the-password"})
    unknown = client.post(reverse("api:token"), {"username": "nobody@example.org", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()


def test_an_admin_inviting_someone_is_not_told_whether_they_have_an_account(django_capture_on_commit_callbacks):
    admin = make_user("admin@example.org")
    establishment = make_establishment(admin=admin)
    make_user("has-an-account@example.org")
    mail.outbox.clear()
    answers = []
    for email in ("has-an-account@example.org", "no-account@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = member_invitation_create(
                actor=admin, establishment=establishment, email=email, role=MemberRole.VIEWER
            )
        [message] = sent_to(email)
        answers.append((invitation.role, invitation.accepted_at, message.subject,
                        message.body.replace(email, "<email>").replace(invitation.token, "<token>")))
    assert answers[0] == answers[1]  # the same invitation, the same email: an account changes nothing
    assert MemberInvitation.objects.filter(establishment=establishment).count() == 2
