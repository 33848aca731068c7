"""Accounts: sign-up, verification, login, roles and their landing pages (server side)."""
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import ArsInvitation, ArsStaff, SignupIntent, User
from accounts.services import ars_invitation_accept, ars_invitation_create
from territories.models import Region
from tests.factories import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db


def signup(client, email="new@example.org", intent=SignupIntent.PROFESSIONAL, **overrides):
    data = {
        "email": email, "password1": PASSWORD, "password2": PASSWORD,
        "first_name": "Léa", "last_name": "Martin", "signup_intent": intent, **overrides,
    }
    return client.post(reverse("account_signup"), data)


def test_signup_sends_a_verification_email_and_does_not_log_in_before_it(client):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert (user.first_name, user.signup_intent) == ("Léa", SignupIntent.PROFESSIONAL)
    assert len(mail.outbox) == 1 and "new@example.org" in mail.outbox[0].to
    assert client.get(reverse("home")).status_code == 200  # the anonymous landing page
    assert "_auth_user_id" not in client.session


def test_a_duplicate_email_answers_like_a_new_sign_up_and_nothing_is_written(client):
    # ACCOUNT_PREVENT_ENUMERATION: no "email taken" error (tests/foundation/test_enumeration.py).
    make_user("taken@example.org")
    response = signup(client, email="TAKEN@example.org")
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context.get("form") is None  # no form shown again, no error
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert len(mail.outbox) == 1 and "confirm-email" not in mail.outbox[0].body  # told to sign in instead


def test_a_weak_password_is_refused_naming_the_field(client):
    response = signup(client, password1="123", password2="123")
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="new@example.org").exists()


def test_nobody_can_sign_up_as_ars_staff(client):
    response = signup(client, intent="ars")
    assert "signup_intent" in response.context["form"].errors
    assert not User.objects.filter(email="new@example.org").exists()


def test_an_unverified_account_cannot_log_in(client):
    signup(client)
    response = client.post(reverse("account_login"), {"login": "new@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302 and "confirm-email" in response["Location"]


@pytest.mark.parametrize(
    ("intent", "landing"),
    [(SignupIntent.PROFESSIONAL, "professionals:profile_create"), (SignupIntent.ESTABLISHMENT, "establishments:onboarding")],
)
def test_each_new_role_lands_on_its_own_page_after_login(client, intent, landing):
    make_user("someone@example.org", signup_intent=intent)
    response = client.post(reverse("account_login"), {"login": "someone@example.org", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)


def test_staff_lands_on_the_admin(client, staff):
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")  # staff sign in with their second factor
    response = client.post(response["Location"], {"code": totp_code()})
    assert client.get(response["Location"])["Location"] == reverse("admin:index")


def test_role_pages_are_404_for_people_without_the_role(client):
    client.force_login(make_user("plain@example.org"))
    for name in ("professionals:home", "establishments:home", "dashboards:home"):
        assert client.get(reverse(name)).status_code == 404


def test_role_pages_ask_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_unknown_urls_are_404(client):
    client.force_login(make_user("plain@example.org"))
    assert client.get("/ars/nope/").status_code == 404
    assert client.get("/roles/superadmin/").status_code == 404


# --- ARS staff exist only by invitation ---------------------------------------------------------


def test_only_platform_staff_can_invite_ars_staff(db):
    outsider = make_user("outsider@example.org")
    with pytest.raises(PermissionError):
        ars_invitation_create(actor=outsider, email="agent@ars.sante.fr", region=Region.objects.get(code="76"))
    assert not ArsInvitation.objects.exists()


def test_an_invitation_creates_a_verified_ars_account_for_that_region(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = ars_invitation_create(actor=staff, email="Agent@ARS.sante.fr", region=Region.objects.get(code="76"))
    assert len(mail.outbox) == 1 and invitation.token in mail.outbox[0].body
    user = ars_invitation_accept(token=invitation.token, first_name="Inès", last_name="R", password=PASSWORD)
    assert user.email == "agent@ars.sante.fr"
    assert ArsStaff.objects.get(user=user).region_id == "76"
    assert user.emailaddress_set.get().verified
    with pytest.raises(ValidationError):
        ars_invitation_accept(token=invitation.token, first_name="X", last_name="Y", password=PASSWORD)


def test_an_expired_invitation_page_is_404(client, staff):
    invitation = ars_invitation_create(actor=staff, email="late@ars.sante.fr", region=Region.objects.get(code="76"))
    ArsInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert client.get(reverse("accounts:ars_invitation", args=[invitation.token])).status_code == 404
    assert client.get(reverse("accounts:ars_invitation", args=["forged"])).status_code == 404


def test_the_invitation_page_logs_the_agent_in_and_lands_on_the_dashboard(client, staff):
    invitation = ars_invitation_create(actor=staff, email="agent@ars.sante.fr", region=Region.objects.get(code="76"))
    url = reverse("accounts:ars_invitation", args=[invitation.token])
    bad = client.post(url, {"first_name": "I", "last_name": "R", "password1": PASSWORD, "password2": "other"})
    assert "password2" in bad.context["form"].errors and not ArsStaff.objects.exists()
    response = client.post(url, {"first_name": "I", "last_name": "R", "password1": PASSWORD, "password2": PASSWORD}, follow=True)
    # Signed in; ARS staff must have a second factor: the enrolment page first (the password just
    # chosen counts as a recent authentication: not asked again), then the dashboard.
    assert response.status_code == 200 and response.redirect_chain[-1][0] == reverse("second_factor_enrol")
    secret = client.session["mfa.totp.secret"]
    client.post(reverse("second_factor_enrol"), {"code": totp_code(secret=secret)})
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("dashboards:home"))
    assert response.status_code == 200


def test_an_invitation_for_an_existing_email_is_refused(staff):
    make_user("agent@ars.sante.fr")
    with pytest.raises(ValidationError) as error:
        ars_invitation_create(actor=staff, email="agent@ars.sante.fr", region=Region.objects.get(code="76"))
    assert "email" in error.value.message_dict


def test_password_reset_by_email(client):
    make_user("forgetful@example.org")
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.org"})
    assert len(mail.outbox) == 1
    # The Site row follows SITE_NAME and SITE_URL (it said « c'est example.com ! »).
    email = mail.outbox[0]
    assert "example.com" not in email.subject + email.body and "Ville-Hôpital" in email.body
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "another-long-passphrase-42"
    client.post(form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})
    assert User.objects.get(email="forgetful@example.org").check_password(new_password)


def test_password_reset_for_an_unknown_email_writes_nothing_and_answers_like_a_known_one(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("account_reset_password_done")
    assert not User.objects.filter(email="nobody@example.org").exists()
    # The address is told it has no account (ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS), with no reset link.
    assert len(mail.outbox) == 1 and "/password/reset/key/" not in mail.outbox[0].body


def test_the_site_row_follows_the_settings_after_migrate(settings):
    from urllib.parse import urlsplit

    from django.contrib.sites.models import Site

    from ville_hopital.sites import site_sync_from_settings

    current = Site.objects.get_current()
    assert (current.name, current.domain) == ("Ville-Hôpital", urlsplit(settings.SITE_URL).netloc)
    settings.SITE_URL = "https://renfort.example.fr"
    assert site_sync_from_settings().domain == "renfort.example.fr"
