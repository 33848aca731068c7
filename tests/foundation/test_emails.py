"""Every email the platform sends has a text and an HTML part, in French and in English, and names
the site from the settings (``SITE_NAME``, ``SITE_URL``) — never example.com.

Each kind is triggered through its real flow (sign-up, a sign-up with a taken address, a login
before verification, a password reset request for a known and for an unknown address, the
invitations, the verification of an establishment, a notification) and read from Django's locmem
outbox. The site's name and URL are changed for these tests, so a name written
into a template instead of read from the settings shows up.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import SignupIntent
from accounts.services import ars_invitation_create
from establishments.models import MemberRole
from establishments.services import establishment_verify, member_invitation_create
from notifications.services import Preference, notify, preferences_update
from territories.models import Region
from tests.factories import PASSWORD, make_establishment, make_user, platform_staff
from tests.notifications.conftest import sample_context

pytestmark = pytest.mark.django_db

SITE_NAME = "Renforts Santé Test"
SITE_URL = "https://renforts.test"
LANGUAGES = ["fr", "en"]


@pytest.fixture(autouse=True)
def _site_from_settings(settings):
    settings.SITE_NAME = SITE_NAME
    settings.SITE_URL = SITE_URL
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def only_email(to: str) -> mail.EmailMultiAlternatives:
    sent = [message for message in mail.outbox if to in message.to]
    assert len(sent) == 1, [(m.to, m.subject) for m in mail.outbox]
    return sent[0]


def html_of(message) -> str:
    html = [content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"]
    assert len(html) == 1, "no text/html alternative"
    return html[0]


def check_email(message, *, language: str, expected: dict[str, str], link: str | None = None) -> None:
    """Both parts, the site from the settings, no example.com, and the language asked for."""
    html = html_of(message)
    assert message.body.strip() and "<" not in message.body  # the text part is plain text
    assert html.lstrip().startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in html
    for part in (message.body, html):
        assert SITE_NAME in part
        assert SITE_URL in part
    everything = "\n".join([message.subject, message.body, html])
    assert "example.com" not in everything.lower()
    assert "&#x27;" not in message.subject + message.body  # never HTML-escaped outside the HTML
    assert expected[language] in message.subject, message.subject
    other = expected["en" if language == "fr" else "fr"]
    assert other not in everything
    if link is not None:
        assert link in message.body and f'href="{link}"' in html


def link_in(message, path_pattern: str) -> str:
    return re.search(rf"https?://\S+{path_pattern}", message.body).group(0)


# --- django-allauth: sign-up, verification again, password reset --------------------------------

CONFIRM = {"fr": "Bienvenue : confirmez votre adresse e-mail", "en": "Welcome: confirm your email address"}
CONFIRM_AGAIN = {"fr": "Confirmez votre adresse e-mail", "en": "Confirm your email address"}
RESET = {"fr": "Réinitialisation de votre mot de passe", "en": "Reset your password"}


def sign_up(client, email: str, language: str) -> None:
    client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "first_name": "Léa",
         "last_name": "Martin", "signup_intent": SignupIntent.PROFESSIONAL},
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_sends_the_confirmation_email(client, language):
    sign_up(client, "lea@hopital.test", language)
    message = only_email("lea@hopital.test")
    check_email(message, language=language, expected=CONFIRM,
                link=link_in(message, "/accounts/confirm-email/[^/\\s]+/"))
    assert "lea@hopital.test" in message.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_logging_in_before_verifying_sends_the_confirmation_again(client, language):
    user = make_user("late@hopital.test", verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE=language)
    message = only_email(user.email)
    check_email(message, language=language, expected=CONFIRM_AGAIN,
                link=link_in(message, "/accounts/confirm-email/[^/\\s]+/"))
    assert CONFIRM[language] not in message.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_password_reset_request_sends_the_reset_link(client, language):
    make_user("forgetful@hopital.test")
    client.post(reverse("account_reset_password"), {"email": "forgetful@hopital.test"}, HTTP_ACCEPT_LANGUAGE=language)
    message = only_email("forgetful@hopital.test")
    check_email(message, language=language, expected=RESET,
                link=link_in(message, "/accounts/password/reset/key/\\S+/"))


ALREADY = {"fr": "Vous avez déjà un compte avec cette adresse", "en": "You already have an account with this address"}
UNKNOWN = {"fr": "Aucun compte n'utilise cette adresse", "en": "No account uses this address"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_signing_up_with_a_taken_address_tells_its_owner(client, language):
    make_user("taken@hopital.test")
    sign_up(client, "taken@hopital.test", language)
    message = only_email("taken@hopital.test")
    check_email(message, language=language, expected=ALREADY, link=link_in(message, "/accounts/password/reset/"))
    assert link_in(message, "/accounts/login/") in message.body and "taken@hopital.test" in message.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_password_reset_for_an_unknown_address_tells_that_address(client, language):
    client.post(reverse("account_reset_password"), {"email": "nobody@hopital.test"}, HTTP_ACCEPT_LANGUAGE=language)
    message = only_email("nobody@hopital.test")
    check_email(message, language=language, expected=UNKNOWN, link=link_in(message, "/accounts/signup/"))
    assert "nobody@hopital.test" in message.body


# --- the platform's own: invitations, verification ----------------------------------------------

ARS = {"fr": "Invitation : tableau de bord ARS Occitanie", "en": "Invitation: ARS dashboard Occitanie"}
MEMBER = {"fr": "Invitation à rejoindre CH d'Uzès sur", "en": "Invitation to join CH d'Uzès on"}
VERIFIED = {"fr": "Votre établissement CH d'Uzès est vérifié", "en": "Your establishment CH d'Uzès is verified"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ars_invitation(django_capture_on_commit_callbacks, language):
    with translation.override(language), django_capture_on_commit_callbacks(execute=True):
        invitation = ars_invitation_create(actor=platform_staff(), email="agent@ars.test", region=Region.objects.get(code="76"))
    message = only_email("agent@ars.test")
    check_email(message, language=language, expected=ARS,
                link=f"{SITE_URL}{reverse('accounts:ars_invitation', args=[invitation.token])}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_member_invitation(django_capture_on_commit_callbacks, language):
    admin = make_user("admin@hopital.test", first_name="Alice", last_name="Durand")
    establishment = make_establishment(admin=admin, name="CH d'Uzès")
    mail.outbox.clear()
    with translation.override(language), django_capture_on_commit_callbacks(execute=True):
        invitation = member_invitation_create(
            actor=admin, establishment=establishment, email="dana@hopital.test", role=MemberRole.HR
        )
    message = only_email("dana@hopital.test")
    check_email(message, language=language, expected=MEMBER,
                link=f"{SITE_URL}{reverse('establishments:invitation_accept', args=[invitation.token])}")
    assert message.subject.endswith(SITE_NAME) and "Alice Durand" in message.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_establishment_verified_notice(django_capture_on_commit_callbacks, language):
    admin = make_user("admin@hopital.test")
    establishment = make_establishment(admin=admin, name="CH d'Uzès", verified=False)
    with translation.override(language), django_capture_on_commit_callbacks(execute=True):
        establishment_verify(actor=platform_staff(), establishment=establishment)
    message = only_email("admin@hopital.test")
    check_email(message, language=language, expected=VERIFIED,
                link=f"{SITE_URL}{reverse('establishments:detail', args=[establishment.pk])}")
    assert establishment.finess_geo in message.body


# --- notifications: the same layout -------------------------------------------------------------

PROPOSAL = {"fr": "Nouvelle proposition", "en": "New proposal"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_notification_email_uses_the_same_layout(django_capture_on_commit_callbacks, language):
    user = make_user("pro@hopital.test")
    preferences_update(actor=user, language=language, choices={"proposal.new": Preference(True, False, False)})
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=user, event="proposal.new", context=sample_context("proposal.new"), dedupe_key="p:1:new")
    message = only_email(user.email)
    html = html_of(message)
    assert f'<html lang="{language}">' in html
    assert f'<a href="{SITE_URL}" style="color:#ffffff;text-decoration:none">{SITE_NAME}</a>' in html
    assert SITE_NAME in message.body and SITE_URL in message.body
    assert "example.com" not in (message.subject + message.body + html).lower()
    assert PROPOSAL[language] in message.subject


def test_every_sending_path_goes_through_the_templates():
    """No email is written in Python: Django's mail module is used by ``ville_hopital.emails`` and the
    notification channel only (allauth sends its own, from our templates, through the adapter)."""
    base = Path(settings.BASE_DIR)
    senders = sorted(
        str(path.relative_to(base))
        for path in base.glob("*/**/*.py")
        if not {".venv", "tests", "migrations", "bench"} & set(path.parts)
        and re.search(r"(?m)^\s*from django\.core\.mail import", path.read_text())
    )
    assert senders == ["notifications/channels.py", "ville_hopital/emails.py"]
