"""HR's journey in Debian's Chromium: sign up for an establishment, register it (onboarding),
platform staff verify it, add a unit, post an urgent night shift, see it on the board, cancel one,
mark one done. Every page on the way is checked with axe-core (no serious or critical violation),
and the board is checked at 375 px wide."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from establishments.models import Establishment, EstablishmentStatus, Shift
from establishments.services import ShiftSpec, establishment_verify, shift_post
from missions.core.models import Mission, MissionState
from reference.models import Profession
from tests.browser import enrol_second_factor
from tests.factories import PASSWORD, book, finess, in_days, make_professional, make_user, move_to_past
from tests.professionals.test_browser_journey import confirmation_link

pytestmark = [pytest.mark.browser]


def test_hr_journey(page, live_server, live_db, axe, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    base = live_server.url
    email = "drh@ch-mende.example.org"

    # Sign up as an establishment, verify the address: the onboarding page follows.
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_first_name", "Nathalie")
    page.fill("#id_last_name", "Pradal")
    page.fill("#id_email", email)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator("input[name=signup_intent][value=establishment]").check()
    page.get_by_role("button", name="Création de compte").click()
    page.goto(confirmation_link(email).replace("http://testserver", base))
    page.get_by_role("button", name="Confirmer").click()
    expect(page).to_have_url(re.compile(r"/etablissement/inscription/$"))
    assert axe() == []

    # Onboarding: a wrong FINESS is refused with the field named, then the right one.
    geo = finess("48078009")
    page.fill("#id_finess_geo", geo[:-1] + str((int(geo[-1]) + 1) % 10))
    page.fill("#id_finess_legal", finess("48000001"))
    page.fill("#id_name", "CH de Mende")
    page.select_option("#id_type", "CH")
    page.fill("#id_commune", "Mende (48000)")
    page.fill("#id_address", "2 avenue du 8 Mai 1945")
    page.get_by_role("button", name="Enregistrer l'établissement").click()
    expect(page.locator("body")).to_contain_text("clé de contrôle")
    assert axe() == []
    page.fill("#id_finess_geo", geo)
    page.get_by_role("button", name="Enregistrer l'établissement").click()
    # Its admin must sign in with a second factor: the enrolment page, until it is done (the
    # password once more first: the last authentication was the e-mail link, not the password).
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    assert axe() == []
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.locator("main")).to_contain_text("Votre rôle l'exige")
    assert axe() == []
    enrol_second_factor(page)
    page.goto(base)
    expect(page.get_by_role("heading", level=1)).to_have_text("CH de Mende")
    expect(page.locator("main")).to_contain_text("attend la vérification")
    assert axe() == []
    establishment = Establishment.objects.get(finess_geo=geo)
    assert establishment.status == EstablishmentStatus.PENDING

    # Platform staff verify it (the admin action calls the same service).
    staff = make_user("staff@ville-hopital.example.org", is_staff=True)
    establishment_verify(actor=staff, establishment=establishment)
    establishment.refresh_from_db()
    page.reload()
    expect(page.locator("main")).to_contain_text("Vérifié")

    # Add a unit with its practical information.
    page.get_by_role("link", name="Ajouter une unité").click()
    assert axe() == []
    page.fill("#id_name", "Urgences")
    page.fill("#id_where_to_go", "Accueil des urgences, niveau 0")
    page.fill("#id_contact", "Cadre de santé : 04 66 49 49 49")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("main")).to_contain_text("Unité « Urgences » ajoutée")

    # Post an urgent night shift (two nurses), then see it on the board.
    page.get_by_role("link", name="Publier une vacation").first.click()
    assert axe() == []
    page.select_option("#id_unit", label="Urgences")
    page.select_option("#id_profession", "60")
    day = timezone.localdate() + timedelta(days=3)
    page.fill("#id_day", day.isoformat())
    page.select_option("#id_template", "night")
    page.fill("#id_positions", "2")
    page.check("#id_urgent")
    page.fill("#id_pay", "700")  # above 12 h × 54 €: refused with the cap shown
    page.get_by_role("button", name="Publier").click()
    expect(page.locator("main")).to_contain_text("648,00")
    page.fill("#id_pay", "620")
    page.get_by_role("button", name="Publier").click()
    expect(page).to_have_url(re.compile(r"/missions/rh/etablissement/\d+/vacations/"))
    night = Shift.objects.get(establishment=establishment)
    assert night.urgent and timezone.localtime(night.starts_at).hour == 20
    card = page.locator(f"#shift-{night.pk}")
    expect(card).to_contain_text("Urgent")
    expect(card).to_contain_text("Ouverte")
    assert axe() == []

    # Cancel one (a second shift, with a booked nurse who is told), mark one done (a past shift).
    alice = User.objects.get(email=email)
    unit = establishment.units.get()
    nurse = Profession.objects.get(code="60")
    spec = ShiftSpec(unit=unit, profession=nurse, positions=1, urgency=3, urgent=False, pay=Decimal("500.00"))
    extra = shift_post(actor=alice, spec=spec, starts_at=in_days(6, 8), ends_at=in_days(6, 20))
    booked = book(extra, make_professional(make_user("infirmiere@pro.example.org")))
    past = shift_post(actor=alice, spec=spec, starts_at=in_days(7, 8), ends_at=in_days(7, 20))
    done = book(past, make_professional(make_user("kine@pro.example.org")))
    move_to_past(past)
    page.reload()

    cancel_card = page.locator(f"#shift-{extra.pk}")
    cancel_card.get_by_text("Annuler la vacation").click()
    cancel_card.get_by_label("Motif").fill("Fermeture de lits")
    mail.outbox.clear()
    cancel_card.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.locator(f"#shift-{extra.pk}")).to_contain_text("Annulée")
    booked.refresh_from_db()
    assert booked.state == MissionState.CANCELLED
    assert any("infirmiere@pro.example.org" in m.to for m in mail.outbox)

    page.locator(f"#shift-{past.pk}").get_by_role("button", name=re.compile("Service fait")).click()
    expect(page.locator(f"#shift-{past.pk}")).to_contain_text("Terminée")
    done.refresh_from_db()
    assert done.state == MissionState.DONE
    assert axe() == []

    # Filters, then the board on a phone.
    page.select_option("#f-status", "cancelled")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("article.shift")).to_have_count(1)
    page.set_viewport_size({"width": 375, "height": 800})
    page.select_option("#f-status", "")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("article.shift")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe() == []
    assert Mission.objects.count() == 2
