"""On a phone (375 px), in French: a nurse chooses a 2 h notice and urgent offers by SMS on her
profile, is sent to the verification page, receives the code (through the local fake of Brevo's
API), types it and is back on her home page with a verified number. axe-core finds no serious or
critical violation on the profile form nor on the verification page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from notifications.selectors import sms_choice_for
from professionals.models import Professional
from tests.factories import PASSWORD, make_professional

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 375


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_a_nurse_asks_for_urgent_sms_and_verifies_her_number_on_a_phone(page, live_server, live_db, axe, brevo):
    nurse = make_professional()
    page.set_viewport_size({"width": WIDTH, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", nurse.user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/pro/profil/")
    expect(page.get_by_role("heading", name="Vacations urgentes")).to_be_visible()
    assert axe() == [] and fits(page)
    page.get_by_label("2 heures — au pied levé").check()
    page.get_by_label("Numéro de mobile").fill("06 12 34 56 78")
    page.get_by_label("Recevoir les offres urgentes par SMS").check()
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.locator("h1")).to_have_text("Mon numéro de mobile")
    expect(page.locator("#phone-status")).to_contain_text("n'est pas encore vérifié")
    assert axe() == [] and fits(page)
    page.get_by_role("button", name="Recevoir un code").click()
    expect(page.locator(".messages")).to_contain_text("Code envoyé par SMS au 06 12 34 56 78")
    code = re.search(r"\b(\d{6})\b", brevo.requests[-1].body["content"]).group(1)
    page.get_by_label("Code reçu par SMS").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Vérifier", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("il vous reste 4 essais")
    assert axe() == [] and fits(page)
    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Vérifier", exact=True).click()

    expect(page.locator(".messages")).to_contain_text("Numéro de mobile vérifié.")
    assert page.url.rstrip("/").endswith("/pro")
    nurse = Professional.objects.select_related("user").get(pk=nurse.pk)
    assert nurse.min_notice_hours == 2
    choice = sms_choice_for(nurse.user)
    assert (choice.number, choice.urgent_sms) == ("+33612345678", True)
