"""The second factor in Chromium: an ARS agent, signed in with only a password, is sent to the enrolment
page, adds a passkey there (Chromium's virtual authenticator, through the DevTools protocol: it
answers WebAuthn like a phone's fingerprint would), then signs in again with the passkey alone. An
HR member signs in with the code of their authenticator app (``tests.browser.log_in``). axe-core on
every page of the way."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from playwright.sync_api import expect

from establishments.models import MemberRole
from tests.browser import log_in
from tests.factories import make_ars_agent, make_establishment, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})


def test_an_ars_agent_enrols_a_passkey_then_signs_in_with_it(page, live_server, live_db, axe):
    base = live_server.url
    agent = make_ars_agent(second_factor=False)
    _virtual_authenticator(page)

    log_in(page, base, agent.email)
    expect(page).to_have_url(re.compile(re.escape(reverse("second_factor_enrol")) + "$"))
    expect(page.locator("main")).to_contain_text("Votre rôle l'exige")
    assert axe() == []
    page.goto(base + reverse("dashboards:home"))  # every page leads back here until enrolled
    expect(page).to_have_url(re.compile(re.escape(reverse("second_factor_enrol")) + "$"))

    page.get_by_role("link", name="Ajouter une clé d'accès").click()
    page.locator("#id_name").fill("Téléphone")
    page.locator("#id_passwordless").check()
    page.locator("#mfa_webauthn_add").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("mfa_view_recovery_codes")) + "$"))
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.WEBAUTHN).exists()
    page.goto(base + reverse("home"))
    expect(page).to_have_url(re.compile(r"/ars/\d+/"))

    # Signed out, back with the passkey alone (the device's verification is the second factor).
    page.context.clear_cookies()
    page.goto(base + reverse("account_login"))
    assert axe() == []
    page.locator("#passkey_login").click()
    expect(page).to_have_url(re.compile(r"/ars/\d+/"))
    expect(page.locator("body")).to_contain_text("Se déconnecter")


def test_an_hr_member_signs_in_with_the_code_of_the_app(page, live_server, live_db, axe):
    hr = make_user()
    site = make_establishment(members={hr: MemberRole.HR}, name="CH de Mende")
    base = live_server.url
    page.goto(base + reverse("account_login"))
    page.fill("#id_login", hr.email)
    page.fill("#id_password", "correct-horse-battery-staple")
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(re.escape(reverse("mfa_authenticate"))))
    assert axe() == []
    log_in(page, base, hr.email)  # the same, typing the code
    expect(page).to_have_url(re.compile(rf"/etablissement/{site.pk}/"))
