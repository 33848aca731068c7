"""Sign-up, email verification and login in a real Chromium, for each role."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import SignupIntent
from accounts.services import ars_invitation_create
from territories.models import Region
from tests.browser import enrol_second_factor
from tests.factories import PASSWORD, make_user, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def confirmation_link(email: str) -> str:
    message = next((m for m in reversed(mail.outbox) if email in m.to), None)
    assert message is not None, [(m.to, m.subject) for m in mail.outbox]
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)


def sign_up_and_verify(page, live_server, email: str, intent: str, axe) -> None:
    page.goto(f"{live_server.url}/accounts/signup/")
    assert axe() == []
    page.fill("#id_first_name", "Léa")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_email", email)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator(f"input[name=signup_intent][value={intent}]").check()
    page.get_by_role("button", name="Création de compte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vérifiez votre adresse")
    page.goto(confirmation_link(email).replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirmer").click()


def test_a_professional_signs_up_verifies_and_lands_on_the_profile_form(page, live_server, live_db, axe):
    sign_up_and_verify(page, live_server, "lea@example.org", SignupIntent.PROFESSIONAL, axe)
    expect(page).to_have_url(re.compile(r"/pro/profil/nouveau/$"))


def test_an_establishment_recruiter_signs_up_and_lands_on_onboarding(page, live_server, live_db, axe):
    sign_up_and_verify(page, live_server, "rh@example.org", SignupIntent.ESTABLISHMENT, axe)
    expect(page).to_have_url(re.compile(r"/etablissement/inscription/$"))


def test_an_ars_agent_joins_by_invitation_and_lands_on_the_dashboard(page, live_server, live_db, axe):
    staff = make_user("staff@example.org", is_staff=True)
    invitation = ars_invitation_create(actor=staff, email="agent@ars.sante.fr", region=Region.objects.get(code="76"))
    page.goto(f"{live_server.url}/accounts/ars/invitation/{invitation.token}/")
    assert axe() == []
    page.fill("#id_first_name", "Inès")
    page.fill("#id_last_name", "Roussel")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    # ARS staff must sign in with a second factor: the enrolment page first, then the dashboard.
    expect(page.locator("main")).to_contain_text("Votre rôle l'exige")
    assert axe() == []
    enrol_second_factor(page)
    page.goto(live_server.url)
    expect(page).to_have_url(re.compile(r"/ars/(76/)?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Occitanie")


def test_staff_logs_in_and_lands_on_the_admin(page, live_server, live_db, axe):
    make_user("staff@example.org", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/accounts/login/")
    assert axe() == []
    page.fill("#id_login", "staff@example.org")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    # The second step: staff sign in with the code of their authenticator app.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    assert axe() == []
    page.fill("#id_code", totp_code())
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_the_landing_page_is_accessible_on_a_phone(page, live_server, live_db, axe):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert axe() == []
