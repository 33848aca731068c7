"""The journey the platform exists for, on a phone: at 07:00 HR posts a nurse night for this evening;
a nurse who accepts short notice gets the offer in-app at once (and by SMS, through the HTTP SMS
backend pointed at a local server, ``brevo``, when the quiet hours allow it) and accepts it; HR's
board shows the shift filled and the other offers withdrawn. axe-core on every page (no serious or
critical violation).

The clock is pinned to 07:00 (Paris) of a fixed day with time-machine; the live server runs in a
thread of this process, so it reads the same clock, and Chromium's clock is installed to match.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
import time_machine
from playwright.sync_api import expect

from establishments.models import Shift
from missions.core.models import Mission, Proposal, ProposalState
from notifications.services import sms_allowed_at
from tests.browser import log_in
from tests.clock import PARIS
from tests.factories import local
from tests.notifications.conftest import sms_opt_in, with_mobile

from .conftest import CASTELNAU, LATTES, MONTPELLIER, Scene, nurse

pytestmark = [pytest.mark.browser]

#: A Wednesday in winter (no clock change that night), 07:00 in Paris.
SEVEN_AM = datetime.combine(date(2027, 1, 13), time(7, 0), tzinfo=PARIS)
PHONE = {"width": 375, "height": 812}


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_nurse_for_tonight_found_at_seven(page, live_server, live_db, axe, brevo):
    base = live_server.url
    with time_machine.travel(SEVEN_AM, tick=True):
        page.clock.install(time=SEVEN_AM)
        page.set_viewport_size(PHONE)
        scene = Scene()
        tonight = local(SEVEN_AM.date(), 20)
        camille = nurse(shift=tonight, notice=12, first="Camille", last="Soir", commune=MONTPELLIER)
        with_mobile(camille.user, "06 12 34 56 78")
        sms_opt_in(camille.user)  # urgent offers by SMS too
        brevo.requests.clear()  # the verification code
        others = [nurse(shift=tonight, notice=6, commune=c, first="Autre") for c in (CASTELNAU, LATTES)]
        nurse(shift=tonight, notice=24, first="Prudente")  # wants a day's notice: not asked

        # HR posts tonight's night shift from the phone.
        log_in(page, base, scene.alice.email)
        page.goto(f"{base}/etablissement/{scene.chu.pk}/")
        page.get_by_role("link", name="Publier une vacation").first.click()
        page.select_option("#id_unit", label="Urgences")
        page.select_option("#id_profession", "60")
        page.fill("#id_day", SEVEN_AM.date().isoformat())
        page.select_option("#id_template", "night")
        page.fill("#id_positions", "1")
        page.fill("#id_pay", "640")
        assert axe() == []
        page.get_by_role("button", name="Publier").click()
        expect(page).to_have_url(re.compile(r"/missions/rh/etablissement/\d+/vacations/"))
        shift = Shift.objects.get(establishment=scene.chu)
        card = page.locator(f"#shift-{shift.pk}")
        # Posted at 07:00 for 20:00: urgent, and the first wave went out on the commit, to the three
        # nurses who accept that notice: everyone eligible was asked at once.
        expect(card).to_contain_text("Urgent")
        expect(card).to_contain_text("3 envoyées")
        expect(card).to_contain_text("tous les éligibles ont été sollicités")
        expect(page.locator(".urgent-banner")).to_contain_text("1 poste urgent non pourvu dans les 48 h")
        assert set(Proposal.objects.filter(shift=shift).values_list("professional_id", flat=True)) == {
            camille.pk, *(o.pk for o in others)
        }
        assert axe() == [] and _fits_the_phone(page)
        # By SMS too: the quiet hours end at 07:00.
        texts = [r for r in brevo.requests if r.body.get("recipient") == "33612345678"]
        assert sms_allowed_at(now=SEVEN_AM, starts_at=tonight, night_sms=False)
        assert len(texts) == 1 and "mission proposée" in texts[0].body["content"]

        # Camille sees it in the app, opens it and accepts.
        log_in(page, base, camille.user.email)
        page.goto(f"{base}/notifications/")
        offer_link = page.get_by_role("link", name=re.compile("Nouvelle proposition"))
        expect(offer_link).to_be_visible()
        assert axe() == []
        offer_link.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Propositions reçues")
        assert axe() == [] and _fits_the_phone(page)
        page.get_by_role("button", name=re.compile("^Accepter")).click()
        expect(page.locator("main")).to_contain_text("Mission confirmée")
        assert axe() == []
        mission = Mission.objects.get(shift=shift)
        assert mission.professional == camille

        # HR's board: filled, the two other offers withdrawn (and their holders told).
        log_in(page, base, scene.alice.email)
        page.goto(f"{base}/missions/rh/etablissement/{scene.chu.pk}/vacations/")
        card = page.locator(f"#shift-{shift.pk}")
        expect(card).to_contain_text("Pourvue")
        expect(card).to_contain_text("2 retirées")
        expect(card).to_contain_text("Camille Soir")
        expect(page.locator(".urgent-banner")).to_have_count(0)
        assert axe() == [] and _fits_the_phone(page)
        withdrawn = Proposal.objects.filter(shift=shift, state=ProposalState.WITHDRAWN)
        assert set(withdrawn.values_list("professional_id", flat=True)) == {o.pk for o in others}
        for other in others:
            assert other.user.notifications.filter(event="proposal.withdrawn").exists()
